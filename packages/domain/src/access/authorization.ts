import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { UnauthenticatedError } from '../errors.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { AuthorizationCache, AuthState } from './authorization-cache.ts';
import { effectivePermissions } from './roles.ts';
import type { Session } from './session.ts';

export type { AuthorizationCache, AuthState } from './authorization-cache.ts';

export interface AuthorizationDeps {
  db: Kysely<Database>;
  authzCache: AuthorizationCache;
}

/** The user's authorisation as the database says now, or null when there is no such user. */
export async function loadAuthState(db: Kysely<Database>, userId: string): Promise<AuthState | null> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'org_id', 'status', 'permission_version', 'platform_role', 'must_change_password'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user) return null;
  const roles = await db
    .selectFrom('user_roles')
    // Joined on org as well as id: a role of another org can never count, whatever the rows say.
    .innerJoin('roles', (join) =>
      join.onRef('roles.id', '=', 'user_roles.role_id').onRef('roles.org_id', '=', 'user_roles.org_id'),
    )
    .select(['roles.name', 'roles.permissions'])
    .where('user_roles.user_id', '=', userId)
    .where('user_roles.org_id', '=', user.org_id)
    .orderBy('roles.name')
    .execute();
  return {
    userId: user.id,
    orgId: user.org_id,
    status: user.status,
    pv: user.permission_version,
    roles: roles.map((role) => role.name),
    permissions: effectivePermissions(
      roles.map((role) => role.permissions),
      user.platform_role,
    ),
    platformRole: user.platform_role,
    mustChangePassword: user.must_change_password,
  };
}

/**
 * Cache-aside read of a user's authorisation. `atLeastPv` is the version the caller's token carries:
 * a cached entry older than that is stale (its refresh was lost), so the database answers instead.
 */
export async function getAuthState(
  deps: AuthorizationDeps,
  userId: string,
  options: { atLeastPv?: number } = {},
): Promise<AuthState | null> {
  const cached = await deps.authzCache.get(userId);
  if (cached && (options.atLeastPv === undefined || cached.pv >= options.atLeastPv)) return cached;
  const state = await loadAuthState(deps.db, userId);
  if (state) {
    if (cached) await deps.authzCache.put(state);
    else await deps.authzCache.fill(state);
  }
  return state;
}

/**
 * Re-reads the user's authorisation from the database into the cache. Call it after the transaction
 * of any change to a user's roles, status, permission version or must-change-password flag commits
 * (other modules too: the creator-approval roles consumer calls it after granting `creator`).
 */
export async function refreshAuthorizationCache(deps: AuthorizationDeps, userId: string): Promise<void> {
  const state = await loadAuthState(deps.db, userId);
  if (state) await deps.authzCache.put(state);
  else await deps.authzCache.delete(userId);
}

export async function refreshAuthorizationCaches(
  deps: AuthorizationDeps,
  userIds: Iterable<string>,
): Promise<void> {
  for (const userId of new Set(userIds)) await refreshAuthorizationCache(deps, userId);
}

export function sessionFromAuthState(state: AuthState): Session {
  return {
    userId: state.userId,
    orgId: state.orgId,
    roles: state.roles,
    permissions: new Set(state.permissions),
    platformRole: state.platformRole,
    permissionVersion: state.pv,
    mustChangePassword: state.mustChangePassword,
  };
}

/**
 * Turns a bearer access token into the caller's Session (SPEC §1):
 * bad token → 401 UNAUTHENTICATED; expired → 401 TOKEN_EXPIRED; unknown or disabled user, or a token
 * for another org than the user's → 401 UNAUTHENTICATED; token `pv` older than the user's current
 * permission version → 401 TOKEN_STALE (the client refreshes and retries). Roles and permissions come
 * from the current state, never from the token.
 */
export async function authenticateAccessToken(
  deps: AuthorizationDeps & { accessTokens: AccessTokens },
  token: string,
): Promise<Session> {
  const claims = await deps.accessTokens.verify(token);
  const state = await getAuthState(deps, claims.userId, { atLeastPv: claims.pv });
  if (!state || state.orgId !== claims.orgId) throw new UnauthenticatedError('Invalid access token');
  if (state.status !== 'active') throw new UnauthenticatedError('This account is disabled');
  if (claims.pv < state.pv) {
    throw new UnauthenticatedError('Your permissions changed; refresh your session', 'TOKEN_STALE');
  }
  // A version from the future cannot be issued by us (the database only counts up).
  if (claims.pv > state.pv) throw new UnauthenticatedError('Invalid access token');
  return sessionFromAuthState(state);
}
