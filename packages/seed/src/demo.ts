import type { Database } from '@atrium/db';
import { materialiseBuiltInRoles } from '@atrium/domain/access/roles';
import { replaceUserRoles, resolveRoles } from '@atrium/domain/identity/users';
import { hashPassword } from '@atrium/domain/platform/passwords';
import { createOrg } from '@atrium/domain/tenancy/orgs';
import type { Kysely } from 'kysely';
import { seedDemoContent } from './demo-content.ts';

export const DEMO_ORG_SLUG = 'demo';

/**
 * The password of every demo account. Development data only: `pnpm dev` prints the accounts once,
 * when it creates them. It passes the product's own strength rules.
 */
export const DEMO_PASSWORD = 'atrium-demo-2026';

export interface DemoAccount {
  email: string;
  name: string;
  roles: string[];
  platformRole?: 'operator';
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { email: 'admin@demo.atrium.local', name: 'Ada Admin', roles: ['admin'] },
  { email: 'editor@demo.atrium.local', name: 'Eddie Editor', roles: ['editor'] },
  { email: 'creator@demo.atrium.local', name: 'Cora Creator', roles: ['viewer', 'creator'] },
  { email: 'viewer@demo.atrium.local', name: 'Vic Viewer', roles: ['viewer'] },
  // Platform operator (Ops console across every org); a plain viewer inside the demo org.
  { email: 'operator@demo.atrium.local', name: 'Otto Operator', roles: ['viewer'], platformRole: 'operator' },
];

export interface SeedResult {
  /** True when this run created the demo org. */
  created: boolean;
  orgSlug: string;
  /** Accounts this run created, with their password — to print once. Empty when they existed. */
  accounts: Array<DemoAccount & { password: string }>;
}

/**
 * Demo data for `pnpm dev` and `pnpm db:seed`. Idempotent: a second run changes nothing, and a run
 * against a database seeded before a module existed adds only that module's rows. Goes through the
 * domain (org creation materialises roles; passwords are argon2id hashes), so demo data obeys the
 * same rules as real data.
 */
export async function seedDemo(db: Kysely<Database>): Promise<SeedResult> {
  // Hashed outside the transaction: one ~75 ms hash serves every account.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  return db.transaction().execute(async (trx) => {
    let org = await trx
      .selectFrom('orgs')
      .select(['id'])
      .where('slug', '=', DEMO_ORG_SLUG)
      .executeTakeFirst();
    const created = org === undefined;
    if (!org) {
      org = await createOrg(trx, {
        name: 'Demo Organisation',
        slug: DEMO_ORG_SLUG,
        settings: { allowSignup: true, defaultRole: 'viewer' },
      });
    } else {
      await materialiseBuiltInRoles(trx, org.id);
    }
    const orgId = org.id;

    const accounts: SeedResult['accounts'] = [];
    for (const account of DEMO_ACCOUNTS) {
      const user = await trx
        .insertInto('users')
        .values({
          org_id: orgId,
          email: account.email,
          name: account.name,
          password_hash: passwordHash,
          email_verified_at: new Date(),
          platform_role: account.platformRole ?? null,
        })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!user) continue;
      const roles = await resolveRoles(trx, orgId, account.roles);
      await replaceUserRoles(
        trx,
        orgId,
        user.id,
        roles.map((role) => role.id),
      );
      accounts.push({ ...account, password: DEMO_PASSWORD });
    }
    // The Library's demo content, authored by the demo creator (added once, also to older seeds).
    const creator = await trx
      .selectFrom('users')
      .select('id')
      .where('org_id', '=', orgId)
      .where('email', '=', 'creator@demo.atrium.local')
      .executeTakeFirst();
    if (creator) await seedDemoContent(trx, orgId, creator.id);
    return { created, orgSlug: DEMO_ORG_SLUG, accounts };
  });
}
