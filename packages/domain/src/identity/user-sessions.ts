import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { refreshAuthorizationCache } from '../access/authorization.ts';
import { bumpPermissionVersion } from '../access/permission-version.ts';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError } from '../errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { IdentityDeps } from './deps.ts';

/**
 * A member's sessions as an admin sees them (Admin → Users → a person). A session is a refresh-token
 * family (sessions.ts): it starts at sign-in and every refresh rotates its token, so the newest token
 * of the family tells when and from where it was last used. Live = its newest token is neither
 * rotated, revoked nor expired.
 */
export interface UserSessionDto {
  /** The family id: what `users.sessions.revoke` takes. */
  id: string;
  /** The browser or client (its User-Agent), as it last presented itself. */
  device: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

/** More live sessions than anyone has; a bound on the query, not a page. */
export const MAX_LISTED_SESSIONS = 100;

export const ZUserSessionsInput = z.object({ userId: z.uuid() });
export const ZRevokeUserSessionInput = z.object({ userId: z.uuid(), sessionId: z.uuid() });

type Deps = Pick<IdentityDeps, 'db' | 'clock' | 'authzCache'>;

async function assertMember(deps: Pick<IdentityDeps, 'db'>, orgId: string, userId: string) {
  const user = await scoped(deps.db, orgId)
    .selectFrom('users')
    .select(['id', 'email'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user) throw new NotFoundError('User');
  return user;
}

/**
 * The member's live sessions (families whose newest token is neither rotated, revoked nor expired),
 * last used first. Works in a transaction too, where the caller holds the member's row lock.
 */
async function liveSessions(
  db: Kysely<Database>,
  orgId: string,
  userId: string,
  now: Date,
): Promise<UserSessionDto[]> {
  const rows = await scoped(db, orgId)
    .selectFrom('refresh_tokens')
    .select([
      'family_id',
      sql<Date>`min(created_at)`.as('created_at'),
      sql<Date>`max(created_at)`.as('last_used_at'),
      sql<Date>`max(expires_at)`.as('expires_at'),
      sql<string | null>`(array_agg(user_agent ORDER BY created_at DESC))[1]`.as('user_agent'),
      sql<string | null>`(array_agg(ip ORDER BY created_at DESC))[1]`.as('ip'),
    ])
    .where('user_id', '=', userId)
    .groupBy('family_id')
    .having(
      sql<boolean>`bool_or(revoked_at IS NULL AND rotated_at IS NULL AND expires_at > ${now}::timestamptz)`,
    )
    .orderBy(sql`max(created_at)`, 'desc')
    .limit(MAX_LISTED_SESSIONS)
    .execute();
  return rows.map((row) => ({
    id: row.family_id,
    device: row.user_agent,
    ip: row.ip,
    createdAt: new Date(row.created_at),
    lastUsedAt: new Date(row.last_used_at),
    expiresAt: new Date(row.expires_at),
  }));
}

/** `users.sessions.list {userId}` (users.manage): the member's live sessions, last used first. */
export async function listUserSessions(
  deps: Pick<IdentityDeps, 'db' | 'clock'>,
  actor: Session,
  rawInput: z.input<typeof ZUserSessionsInput>,
): Promise<UserSessionDto[]> {
  const { userId } = validateInput(ZUserSessionsInput, rawInput);
  await assertMember(deps, actor.orgId, userId);
  return liveSessions(deps.db, actor.orgId, userId, deps.clock.now());
}

/**
 * Ends sessions of a member of the caller's org: the families' tokens are revoked, and the member's
 * permission version is bumped so an access token already out stops on its next request — the
 * member's other sessions then refresh as usual, the revoked ones cannot. Audited in the same
 * transaction. Returns how many live sessions it ended.
 */
async function revokeSessions(
  deps: Deps,
  actor: Session,
  target: { userId: string; sessionId?: string },
): Promise<number> {
  const now = deps.clock.now();
  const revoked = await deps.db.transaction().execute(async (trx) => {
    const user = await scoped(trx, actor.orgId)
      .selectFrom('users')
      .select(['id', 'email'])
      .where('id', '=', target.userId)
      .forUpdate()
      .executeTakeFirst();
    if (!user) throw new NotFoundError('User');
    const live = await liveSessions(trx, actor.orgId, user.id, now);
    const ending = target.sessionId ? live.filter((session) => session.id === target.sessionId) : live;
    if (target.sessionId && ending.length === 0) throw new NotFoundError('Session');
    // Every token not yet revoked (a family's rotated ones too), so nothing of it can come back.
    let update = scoped(trx, actor.orgId)
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('user_id', '=', user.id)
      .where('revoked_at', 'is', null);
    if (target.sessionId) update = update.where('family_id', '=', target.sessionId);
    await update.execute();
    if (ending.length > 0) await bumpPermissionVersion(trx, [user.id]);
    await appendAudit(
      trx,
      target.sessionId
        ? {
            orgId: actor.orgId,
            actorId: actor.userId,
            action: 'user.session_revoked',
            resourceType: 'user',
            resourceId: user.id,
            payload: { email: user.email, sessionId: target.sessionId, device: ending[0]?.device ?? null },
          }
        : {
            orgId: actor.orgId,
            actorId: actor.userId,
            action: 'user.sessions_revoked',
            resourceType: 'user',
            resourceId: user.id,
            payload: { email: user.email, sessions: ending.length },
          },
      { clock: deps.clock },
    );
    return ending.length;
  });
  if (revoked > 0) await refreshAuthorizationCache(deps, target.userId);
  return revoked;
}

/** `users.sessions.revoke {userId, sessionId}`: ends one session; not a live session of the member → 404. */
export async function revokeUserSession(
  deps: Deps,
  actor: Session,
  rawInput: z.input<typeof ZRevokeUserSessionInput>,
): Promise<{ revoked: true }> {
  const input = validateInput(ZRevokeUserSessionInput, rawInput);
  await revokeSessions(deps, actor, input);
  return { revoked: true };
}

/** `users.sessions.revokeAll {userId}`: signs the member out everywhere (they may sign in again). */
export async function revokeAllUserSessions(
  deps: Deps,
  actor: Session,
  rawInput: z.input<typeof ZUserSessionsInput>,
): Promise<{ sessions: number }> {
  const { userId } = validateInput(ZUserSessionsInput, rawInput);
  return { sessions: await revokeSessions(deps, actor, { userId }) };
}
