import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export const DEMO_ORG_SLUG = 'demo';

/**
 * Demo data for `pnpm dev` and `pnpm db:seed`. Idempotent: running it again changes nothing.
 * Each module adds its demo rows here as it arrives (accounts come with identity).
 */
export async function seedDemo(db: Kysely<Database>): Promise<{ created: boolean; orgSlug: string }> {
  const inserted = await db
    .insertInto('orgs')
    .values({ slug: DEMO_ORG_SLUG, name: 'Demo Organisation', settings: { allowSignup: true, defaultRole: 'viewer' } })
    .onConflict((oc) => oc.column('slug').doNothing())
    .returning('id')
    .executeTakeFirst();
  return { created: inserted !== undefined, orgSlug: DEMO_ORG_SLUG };
}
