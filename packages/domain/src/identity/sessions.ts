import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import { loadAuthState } from '../access/authorization.ts';
import { appendAudit } from '../audit/index.ts';
import { UnauthenticatedError } from '../errors.ts';
import { randomToken, sha256Hex } from '../platform/tokens.ts';
import type { IdentityDeps, RequestOrigin } from './deps.ts';
import { type SignedInUser, signedInUser } from './users.ts';

/**
 * Sessions = refresh-token families (SPEC §1). A sign-in starts a family; every `auth.refresh` rotates
 * the presented token into a new one of the same family. Presenting a token that was already rotated
 * means two parties hold the family (a stolen token, or a replay): the whole family is revoked and
 * both must sign in again.
 */
export interface IssuedSession {
  accessToken: string;
  /** When the access token expires. */
  expiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  user: SignedInUser;
}

const INVALID_REFRESH = 'Your session has ended; sign in again';

/** Inserts a refresh token (the hash only) and returns the token itself, which exists nowhere else. */
export async function issueRefreshToken(
  trx: Transaction<Database>,
  input: {
    userId: string;
    orgId: string;
    familyId?: string;
    origin: RequestOrigin;
    now: Date;
    ttlSeconds: number;
  },
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = randomToken(32);
  const expiresAt = new Date(input.now.getTime() + input.ttlSeconds * 1000);
  const row = await trx
    .insertInto('refresh_tokens')
    .values({
      user_id: input.userId,
      org_id: input.orgId,
      family_id: input.familyId ?? crypto.randomUUID(),
      token_hash: sha256Hex(token),
      expires_at: expiresAt,
      created_at: input.now,
      user_agent: input.origin.userAgent?.slice(0, 512) ?? null,
      ip: input.origin.ip,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token, expiresAt };
}

/** Revokes every live refresh token of the user (password change or reset, disable). */
export async function revokeAllRefreshTokens(
  db: Kysely<Database>,
  userId: string,
  now: Date,
): Promise<number> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function revokeFamily(db: Kysely<Database>, familyId: string, now: Date): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}

/**
 * Issues an access token for the user's current authorisation plus a refresh token (a new family
 * unless `familyId` continues one), reading the state inside `trx` so both match what it committed.
 */
export async function issueSession(
  deps: Pick<IdentityDeps, 'accessTokens' | 'config'>,
  trx: Transaction<Database>,
  input: { userId: string; familyId?: string; origin: RequestOrigin; now: Date },
): Promise<IssuedSession & { refreshTokenId: string }> {
  const user = await trx
    .selectFrom('users')
    .select(['id', 'org_id', 'email', 'name'])
    .where('id', '=', input.userId)
    .executeTakeFirstOrThrow();
  const state = await loadAuthState(trx, input.userId);
  if (!state) throw new UnauthenticatedError(INVALID_REFRESH);
  const refresh = await issueRefreshToken(trx, {
    userId: user.id,
    orgId: user.org_id,
    familyId: input.familyId,
    origin: input.origin,
    now: input.now,
    ttlSeconds: deps.config.refreshTokenTtlSeconds,
  });
  const access = await deps.accessTokens.issue({
    userId: user.id,
    orgId: user.org_id,
    roles: state.roles,
    pv: state.pv,
  });
  return {
    accessToken: access.accessToken,
    expiresAt: access.expiresAt,
    refreshToken: refresh.token,
    refreshTokenExpiresAt: refresh.expiresAt,
    refreshTokenId: refresh.id,
    user: signedInUser(user, state),
  };
}

type RotationOutcome = { kind: 'rotated'; session: IssuedSession } | { kind: 'refused'; message: string };

/**
 * `auth.refresh`: exchanges a refresh token for a new access token and a new refresh token.
 *
 * The presented row is locked (`FOR UPDATE`), so two concurrent refreshes of one token serialise: the
 * first rotates it, the second then finds it rotated — reuse — and revokes the family. Never two valid
 * successors. (A web client should run one refresh at a time across tabs; see docs/identity.md.)
 */
export async function refreshSession(
  deps: IdentityDeps,
  input: { refreshToken: string; origin: RequestOrigin },
): Promise<IssuedSession> {
  const now = deps.clock.now();
  const outcome = await deps.db.transaction().execute(async (trx): Promise<RotationOutcome> => {
    const row = await trx
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', sha256Hex(input.refreshToken))
      .forUpdate()
      .executeTakeFirst();
    if (!row || row.revoked_at) return { kind: 'refused', message: INVALID_REFRESH };
    if (row.rotated_at) {
      await revokeFamily(trx, row.family_id, now);
      await appendAudit(trx, {
        orgId: row.org_id,
        actorId: null,
        action: 'auth.refresh_token.reused',
        resourceType: 'user',
        resourceId: row.user_id,
        payload: { familyId: row.family_id, ip: input.origin.ip },
      });
      deps.log.warn(
        { userId: row.user_id, familyId: row.family_id, ip: input.origin.ip },
        'refresh token reused: session family revoked',
      );
      return { kind: 'refused', message: INVALID_REFRESH };
    }
    if (row.expires_at.getTime() <= now.getTime()) return { kind: 'refused', message: INVALID_REFRESH };
    const user = await trx
      .selectFrom('users')
      .select(['status'])
      .where('id', '=', row.user_id)
      .executeTakeFirst();
    if (user?.status !== 'active') {
      await revokeFamily(trx, row.family_id, now);
      return { kind: 'refused', message: INVALID_REFRESH };
    }
    const session = await issueSession(deps, trx, {
      userId: row.user_id,
      familyId: row.family_id,
      origin: input.origin,
      now,
    });
    await trx
      .updateTable('refresh_tokens')
      .set({ rotated_at: now, replaced_by: session.refreshTokenId })
      .where('id', '=', row.id)
      .execute();
    await appendAudit(trx, {
      orgId: row.org_id,
      actorId: row.user_id,
      action: 'auth.refresh_token.rotated',
      resourceType: 'user',
      resourceId: row.user_id,
      payload: { familyId: row.family_id, ip: input.origin.ip },
    });
    const { refreshTokenId: _, ...issued } = session;
    return { kind: 'rotated', session: issued };
  });
  // Refusals commit first (a reused family stays revoked), then answer 401.
  if (outcome.kind === 'refused') throw new UnauthenticatedError(outcome.message);
  return outcome.session;
}

/** `auth.logout`: revokes the token's whole family. Unknown or dead tokens are fine (idempotent). */
export async function endSession(
  deps: Pick<IdentityDeps, 'db' | 'clock'>,
  input: { refreshToken: string | null },
): Promise<void> {
  if (!input.refreshToken) return;
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('refresh_tokens')
      .select(['family_id', 'org_id', 'user_id'])
      .where('token_hash', '=', sha256Hex(input.refreshToken ?? ''))
      .executeTakeFirst();
    if (!row) return;
    await revokeFamily(trx, row.family_id, now);
    await appendAudit(trx, {
      orgId: row.org_id,
      actorId: row.user_id,
      action: 'auth.logout',
      resourceType: 'user',
      resourceId: row.user_id,
    });
  });
}
