import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError, UnauthenticatedError } from '../errors.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { cursorCodec, ZCursorField, ZDate, ZTimestampText } from '../platform/input-blocks.ts';
import { randomToken, sha256Hex } from '../platform/tokens.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';

/**
 * API keys (docs/logging.md): machine credentials of one org. A key is `atr_<prefix>_<secret>`; it is
 * shown once, at creation, and only its SHA-256 is stored. Procedures that allow keys accept it as
 * `Authorization: Bearer <key>` (apps/api `keyOrPermissionProcedure`); every other procedure refuses
 * it (it is not an access token). A key acts within its org only and only for its scopes. Revocation
 * and expiry are checked on every call (one indexed read; nothing is cached), so a revoked key is
 * refused at once.
 */
export const API_KEY_SCOPES = ['logs.ingest', 'logs.read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const API_KEY_PREFIX = 'atr_';

/** Who a valid key speaks for. */
export interface ApiKeyPrincipal {
  keyId: string;
  orgId: string;
  scopes: ReadonlySet<ApiKeyScope>;
}

export const ZCreateApiKeyInput = z.object({
  name: z.string().trim().min(1, { message: 'Name the key' }).max(100),
  scopes: z
    .array(z.enum(API_KEY_SCOPES))
    .min(1, { message: 'Choose at least one scope' })
    .max(API_KEY_SCOPES.length),
  /** Optional expiry; a key without one lives until it is revoked. */
  expiresAt: ZDate.optional(),
});
export type CreateApiKeyInput = z.input<typeof ZCreateApiKeyInput>;

export const ZListApiKeysInput = z.object({
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(50),
  includeRevoked: z.boolean().default(false),
});
export const ZApiKeyIdInput = z.object({ id: z.uuid() });

export interface ApiKeyDto {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  status: 'active' | 'expired' | 'revoked';
}

const SELECTION = [
  'id',
  'name',
  'prefix',
  'scopes',
  'created_at',
  'last_used_at',
  'expires_at',
  'revoked_at',
] as const;

type Row = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
};

function toDto(row: Row, now: Date): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s)),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    status: row.revoked_at ? 'revoked' : row.expires_at && row.expires_at <= now ? 'expired' : 'active',
  };
}

export interface ApiKeyDeps {
  db: Kysely<Database>;
  clock?: Clock;
}

/** Creates a key; the answer carries the key itself — the only time anyone sees it. */
export async function createApiKey(
  deps: ApiKeyDeps,
  actor: Session,
  input: CreateApiKeyInput,
): Promise<{ key: string; apiKey: ApiKeyDto }> {
  const { name, scopes, expiresAt } = validateInput(ZCreateApiKeyInput, input);
  const now = (deps.clock ?? systemClock).now();
  if (expiresAt && expiresAt <= now) {
    validateInput(z.object({ expiresAt: z.date().min(now, { message: 'Choose a time in the future' }) }), {
      expiresAt,
    });
  }
  const prefix = randomToken(6).replace(/[^A-Za-z0-9]/g, 'x');
  const key = `${API_KEY_PREFIX}${prefix}_${randomToken(32)}`;
  const row = await deps.db.transaction().execute(async (trx) => {
    const inserted = await scoped(trx, actor.orgId)
      .insertInto('api_keys', {
        name,
        prefix: `${API_KEY_PREFIX}${prefix}`,
        key_hash: sha256Hex(key),
        scopes: [...new Set(scopes)].sort(),
        created_by: actor.userId,
        expires_at: expiresAt ?? null,
      })
      .returning(SELECTION)
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'api_key.created',
      resourceType: 'api_key',
      resourceId: inserted.id,
      payload: { name, scopes: inserted.scopes, expiresAt: expiresAt?.toISOString() ?? null },
    });
    return inserted;
  });
  return { key, apiKey: toDto(row, now) };
}

const listCursor = cursorCodec(z.tuple([ZTimestampText, z.uuid()]));

export async function listApiKeys(
  deps: ApiKeyDeps,
  actor: Session,
  input: z.input<typeof ZListApiKeysInput>,
): Promise<{ items: ApiKeyDto[]; nextCursor: string | null }> {
  const { cursor, limit, includeRevoked } = validateInput(ZListApiKeysInput, input);
  const now = (deps.clock ?? systemClock).now();
  let query = scoped(deps.db, actor.orgId)
    .selectFrom('api_keys')
    .select([...SELECTION, (eb) => eb.cast<string>('created_at', 'text').as('created_text')])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (!includeRevoked) query = query.where('revoked_at', 'is', null);
  if (cursor) {
    const [at, id] = listCursor.decode(cursor);
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', at as unknown as Date),
        eb.and([eb('created_at', '=', at as unknown as Date), eb('id', '<', id)]),
      ]),
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toDto(row, now)),
    nextCursor: rows.length > limit && last ? listCursor.encode([last.created_text, last.id]) : null,
  };
}

/** Revokes a key at once (idempotent: revoking a revoked key keeps its first revocation time). */
export async function revokeApiKey(
  deps: ApiKeyDeps,
  actor: Session,
  input: { id: string },
): Promise<ApiKeyDto> {
  const { id } = validateInput(ZApiKeyIdInput, input);
  const now = (deps.clock ?? systemClock).now();
  const row = await deps.db.transaction().execute(async (trx) => {
    const current = await scoped(trx, actor.orgId)
      .selectFrom('api_keys')
      .select(SELECTION)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw new NotFoundError('API key not found');
    if (current.revoked_at) return current;
    const updated = await scoped(trx, actor.orgId)
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .returning(SELECTION)
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'api_key.revoked',
      resourceType: 'api_key',
      resourceId: id,
      payload: { name: current.name },
    });
    return updated;
  });
  return toDto(row, now);
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** last_used_at is written at most once a minute per key: a busy key does not write on every call. */
const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * The principal of a presented key, or 401: unknown, revoked and expired keys are all refused the
 * same way (the caller learns nothing about which).
 */
export async function authenticateApiKey(deps: ApiKeyDeps, presented: string): Promise<ApiKeyPrincipal> {
  const refused = new UnauthenticatedError('This API key is not valid');
  if (!looksLikeApiKey(presented) || presented.length > 200) throw refused;
  const now = (deps.clock ?? systemClock).now();
  const row = await deps.db
    .selectFrom('api_keys')
    .select(['id', 'org_id', 'scopes', 'expires_at', 'revoked_at', 'last_used_at'])
    .where('key_hash', '=', sha256Hex(presented))
    .executeTakeFirst();
  if (!row || row.revoked_at || (row.expires_at && row.expires_at <= now)) throw refused;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= LAST_USED_GRANULARITY_MS) {
    await deps.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return {
    keyId: row.id,
    orgId: row.org_id,
    scopes: new Set(
      row.scopes.filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s)),
    ),
  };
}
