import type { Database } from '@atrium/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { materialiseBuiltInRoles } from '../access/roles.ts';
import { ConflictError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { defineEvent } from '../events/registry.ts';
import { type NotificationPolicy, notificationPolicyOf } from '../notifications/policy.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';

/** An org was created (its built-in roles exist from the same transaction on). */
export const OrgCreated = defineEvent(
  'OrgCreated',
  z.object({ orgId: z.uuid(), slug: z.string(), name: z.string() }),
);

/**
 * The settings identity reads (SPEC §1); other modules keep their own keys (conflictStrategy, AIMS…)
 * in the same jsonb, which this schema passes through untouched.
 */
export const ZOrgSettings = z.looseObject({
  allowSignup: z.boolean().default(false),
  defaultRole: z.string().min(1).default('viewer'),
});
export type OrgSettings = z.infer<typeof ZOrgSettings>;

export interface OrgSummary {
  id: string;
  slug: string;
  name: string;
  settings: OrgSettings;
}

export function parseOrgSettings(raw: unknown): OrgSettings {
  const parsed = ZOrgSettings.safeParse(raw ?? {});
  return parsed.success ? parsed.data : ZOrgSettings.parse({});
}

const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
// Names that read like parts of the product rather than a tenant.
const RESERVED_SLUGS = new Set([
  'admin',
  'api',
  'app',
  'assets',
  'auth',
  'health',
  'metrics',
  'ops',
  'static',
  'trpc',
  'www',
]);
const SLUG_BASE_MAX = 40;

/** "Zürich Media & Co." → "zurich-media-co". Always a valid slug (falls back to "org"). */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_BASE_MAX)
    .replace(/-+$/g, '');
  return SLUG_PATTERN.test(base) && !RESERVED_SLUGS.has(base)
    ? base
    : base.length >= 2
      ? `${base}-org`
      : 'org';
}

export async function findOrgBySlug(db: Kysely<Database>, slug: string): Promise<OrgSummary | null> {
  const org = await db
    .selectFrom('orgs')
    .select(['id', 'slug', 'name', 'settings'])
    .where('slug', '=', slug)
    .executeTakeFirst();
  return org ? { ...org, settings: parseOrgSettings(org.settings) } : null;
}

/**
 * Creates an org in the caller's transaction: a unique slug derived from the name (`acme`, `acme-2`,
 * …) unless one is given, its built-in roles, and an `OrgCreated` outbox event.
 */
export async function createOrg(
  trx: Transaction<Database>,
  input: { name: string; slug?: string; settings?: Record<string, unknown> },
): Promise<OrgSummary> {
  const name = input.name.trim();
  const base = input.slug ?? slugify(name);
  const settings = { ...ZOrgSettings.parse(input.settings ?? {}) };
  let inserted: { id: string; slug: string } | undefined;
  // ON CONFLICT DO NOTHING rather than catching the unique violation, which would abort the
  // caller's transaction; a racing creator of the same slug simply pushes us to the next suffix.
  const candidates = input.slug ? [input.slug] : slugCandidates(base);
  for (const slug of candidates) {
    inserted = await trx
      .insertInto('orgs')
      .values({ slug, name, settings })
      .onConflict((oc) => oc.column('slug').doNothing())
      .returning(['id', 'slug'])
      .executeTakeFirst();
    if (inserted) break;
  }
  if (!inserted) throw new ConflictError('That organisation address is already taken');
  await materialiseBuiltInRoles(trx, inserted.id);
  await writeOutboxEvent(trx, {
    orgId: inserted.id,
    type: OrgCreated,
    aggregateType: 'org',
    aggregateId: inserted.id,
    payload: { orgId: inserted.id, slug: inserted.slug, name },
  });
  return { id: inserted.id, slug: inserted.slug, name, settings: parseOrgSettings(settings) };
}

function* slugCandidates(base: string): Generator<string> {
  yield base;
  for (let suffix = 2; suffix <= 1000; suffix++) yield `${base}-${suffix}`;
  // Pathological: a thousand orgs of the same name. A random tail always fits.
  yield `${base}-${crypto.randomUUID().slice(0, 8)}`;
}

export const ZListOrgsInput = z.object({
  q: z.string().trim().max(200).optional(),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type ListOrgsInput = z.input<typeof ZListOrgsInput>;

/** An organisation as platform operators see it. */
export interface OrgOverview {
  id: string;
  slug: string;
  name: string;
  members: number;
  notifications: NotificationPolicy;
  createdAt: Date;
}

/** Every organisation, newest first (platform operators only; the router guards it). */
export async function listOrgs(
  db: Kysely<Database>,
  rawInput: ListOrgsInput = {},
  platform: { defaultEmailQuotaPerHour: number },
): Promise<{ items: OrgOverview[]; nextCursor: string | null; defaultEmailQuotaPerHour: number }> {
  const { q, cursor, limit } = validateInput(ZListOrgsInput, rawInput);
  let query = db
    .selectFrom('orgs')
    .select((eb) => [
      'orgs.id',
      'orgs.slug',
      'orgs.name',
      'orgs.settings',
      'orgs.created_at',
      sql<string>`orgs.created_at::text`.as('created_at_text'),
      eb
        .selectFrom('users')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('users.org_id', '=', 'orgs.id')
        .as('members'),
    ])
    .orderBy('orgs.created_at', 'desc')
    .orderBy('orgs.id', 'desc')
    .limit(limit + 1);
  if (q) {
    const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([eb('orgs.name', 'ilike', pattern), eb('orgs.slug', 'ilike', pattern)]),
    );
  }
  if (cursor) {
    const after = decodeTimeIdCursor(cursor);
    query = query.where(
      sql<boolean>`(orgs.created_at, orgs.id) < (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      slug: row.slug,
      name: row.name,
      members: Number(row.members ?? 0),
      notifications: notificationPolicyOf(row.settings),
      createdAt: row.created_at,
    })),
    nextCursor: rows.length > limit && last ? encodeTimeIdCursor(last.created_at_text, last.id) : null,
    // What a null emailQuotaPerHour means, so an operator sees the number.
    defaultEmailQuotaPerHour: platform.defaultEmailQuotaPerHour,
  };
}
