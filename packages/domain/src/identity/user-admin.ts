import type { Database } from '@atrium/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { refreshAuthorizationCache } from '../access/authorization.ts';
import { activeMembers, holdsRoleOrPermission } from '../access/members.ts';
import { bumpPermissionVersion } from '../access/permission-version.ts';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from '../errors.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import { isForeignKeyViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { IdentityDeps } from './deps.ts';
import { revokeAllRefreshTokens } from './sessions.ts';
import { type OrgRole, replaceUserRoles, resolveRoles, roleNamesByUser } from './users.ts';

export const ZRoleName = z.string().trim().min(1).max(40);

export const ZListUsersInput = z.object({
  q: z.string().trim().max(200).optional(),
  role: ZRoleName.optional(),
  status: z.enum(['active', 'disabled']).optional(),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type ListUsersInput = z.input<typeof ZListUsersInput>;

export const ZUserIdInput = z.object({ id: z.uuid() });
export type UserIdInput = z.infer<typeof ZUserIdInput>;

export const ZSetUserRolesInput = z.object({
  userId: z.uuid(),
  roles: z.array(ZRoleName).max(20),
});
export type SetUserRolesInput = z.infer<typeof ZSetUserRolesInput>;

/** A user as the admin screens show them. */
export interface UserSummary {
  id: string;
  email: string;
  name: string;
  status: 'active' | 'disabled';
  roles: string[];
  platformRole: 'operator' | null;
  emailVerified: boolean;
  mustChangePassword: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
}

const SUMMARY_COLUMNS = [
  'users.id',
  'users.email',
  'users.name',
  'users.status',
  'users.platform_role',
  'users.email_verified_at',
  'users.must_change_password',
  'users.last_login_at',
  'users.created_at',
] as const;

type SummaryRow = {
  id: string;
  email: string;
  name: string;
  status: 'active' | 'disabled';
  platform_role: 'operator' | null;
  email_verified_at: Date | null;
  must_change_password: boolean;
  last_login_at: Date | null;
  created_at: Date;
};

function toSummary(row: SummaryRow, roles: string[]): UserSummary {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    status: row.status,
    roles,
    platformRole: row.platform_role,
    emailVerified: row.email_verified_at !== null,
    mustChangePassword: row.must_change_password,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
  };
}

/**
 * No privilege escalation through delegation: an actor may only hand out permissions they hold
 * (a user with `users.manage` but not `roles.manage` cannot make themselves admin).
 */
export function assertCanGrant(
  actor: Session,
  roles: readonly Pick<OrgRole, 'name' | 'permissions'>[],
  verb: 'grant' | 'change' = 'grant',
): void {
  const beyond = new Set<string>();
  for (const role of roles) {
    for (const permission of role.permissions) {
      if (!(actor.permissions as ReadonlySet<string>).has(permission)) beyond.add(permission);
    }
  }
  if (beyond.size > 0) {
    throw new ForbiddenError(
      verb === 'grant'
        ? `You cannot grant permissions you do not have: ${[...beyond].sort().join(', ')}`
        : `You can only give or take away roles whose permissions you hold yourself (missing: ${[...beyond].sort().join(', ')})`,
    );
  }
}

/**
 * Every org keeps at least one active admin: checked inside the transaction of a change that could
 * remove the last one (setRoles, disable), after taking the org's admin-role row lock so two admins
 * demoting each other at once cannot both succeed.
 */
async function lockAdminRole(trx: Transaction<Database>, orgId: string): Promise<void> {
  await scoped(trx, orgId).selectFrom('roles').select('id').where('name', '=', 'admin').forUpdate().execute();
}

async function assertOrgKeepsAnAdmin(trx: Transaction<Database>, orgId: string): Promise<void> {
  const admins = await activeMembers(trx, { orgId, role: 'admin' }, { limit: 1 });
  if (admins.length === 0) {
    throw new UnprocessableError('The organisation needs at least one active admin');
  }
}

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * `users.list {q, role, status, cursor, limit}`: the org's users, newest first, keyset-paginated on
 * (created_at, id) — the cursor carries created_at at full microsecond precision.
 */
export async function listUsers(
  deps: Pick<IdentityDeps, 'db'>,
  actor: Session,
  input: ListUsersInput,
): Promise<{ items: UserSummary[]; nextCursor: string | null }> {
  const { q, role, status, cursor, limit } = validateInput(ZListUsersInput, input);
  let query = scoped(deps.db, actor.orgId)
    .selectFrom('users')
    .select([...SUMMARY_COLUMNS, sql<string>`users.created_at::text`.as('created_at_text')])
    .orderBy('users.created_at', 'desc')
    .orderBy('users.id', 'desc')
    .limit(limit + 1);
  if (q) {
    const pattern = likePattern(q);
    query = query.where((eb) =>
      eb.or([eb('users.email', 'ilike', pattern), eb('users.name', 'ilike', pattern)]),
    );
  }
  if (status) query = query.where('users.status', '=', status);
  if (role) {
    query = query.where((eb) => holdsRoleOrPermission(eb, { role }));
  }
  if (cursor) {
    const after = decodeTimeIdCursor(cursor);
    query = query.where(
      sql<boolean>`(users.created_at, users.id) < (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const roles = await roleNamesByUser(
    deps.db,
    actor.orgId,
    page.map((row) => row.id),
  );
  const last = page.at(-1);
  return {
    items: page.map((row) => toSummary(row, roles.get(row.id) ?? [])),
    nextCursor: rows.length > limit && last ? encodeTimeIdCursor(last.created_at_text, last.id) : null,
  };
}

async function findSummary(db: Kysely<Database>, orgId: string, userId: string): Promise<UserSummary> {
  const row = await scoped(db, orgId)
    .selectFrom('users')
    .select(SUMMARY_COLUMNS)
    .where('users.id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('User');
  const roles = await roleNamesByUser(db, orgId, [userId]);
  return toSummary(row, roles.get(userId) ?? []);
}

/** `users.get {id}`: a user of the caller's org; any other id → 404. */
export function getUser(
  deps: Pick<IdentityDeps, 'db'>,
  actor: Session,
  input: UserIdInput,
): Promise<UserSummary> {
  return findSummary(deps.db, actor.orgId, input.id);
}

/** Locks a user of the org for a change, or answers 404 (also for another org's user). */
async function lockUser(trx: Transaction<Database>, orgId: string, userId: string) {
  const user = await scoped(trx, orgId)
    .selectFrom('users')
    .select(['id', 'email', 'status'])
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  if (!user) throw new NotFoundError('User');
  return user;
}

/**
 * `users.disable {id}`: the account can no longer sign in; its refresh tokens are revoked and its
 * permission version bumped, so access tokens already out stop working on their next request.
 * Disabling yourself, or the org's last active admin → 422.
 */
export async function disableUser(
  deps: Pick<IdentityDeps, 'db' | 'clock' | 'authzCache'>,
  actor: Session,
  input: UserIdInput,
): Promise<UserSummary> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await lockAdminRole(trx, actor.orgId);
    const user = await lockUser(trx, actor.orgId, input.id);
    if (user.id === actor.userId) throw new UnprocessableError('You cannot disable your own account');
    if (user.status === 'disabled') return;
    await scoped(trx, actor.orgId)
      .updateTable('users')
      .set({ status: 'disabled', updated_at: now })
      .where('id', '=', user.id)
      .execute();
    await bumpPermissionVersion(trx, [user.id]);
    const revoked = await revokeAllRefreshTokens(trx, user.id, now);
    await assertOrgKeepsAnAdmin(trx, actor.orgId);
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'user.disabled',
      resourceType: 'user',
      resourceId: user.id,
      payload: { email: user.email, revokedSessions: revoked },
    });
  });
  await refreshAuthorizationCache(deps, input.id);
  return findSummary(deps.db, actor.orgId, input.id);
}

/** `users.enable {id}`: the account may sign in again (with a new sign-in: its sessions stay revoked). */
export async function enableUser(
  deps: Pick<IdentityDeps, 'db' | 'clock' | 'authzCache'>,
  actor: Session,
  input: UserIdInput,
): Promise<UserSummary> {
  await deps.db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, actor.orgId, input.id);
    if (user.status === 'active') return;
    await scoped(trx, actor.orgId)
      .updateTable('users')
      .set({ status: 'active', updated_at: deps.clock.now() })
      .where('id', '=', user.id)
      .execute();
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'user.enabled',
      resourceType: 'user',
      resourceId: user.id,
      payload: { email: user.email },
    });
  });
  await refreshAuthorizationCache(deps, input.id);
  return findSummary(deps.db, actor.orgId, input.id);
}

/**
 * `users.setRoles {userId, roles}`: replaces the user's roles. Names must be roles of the org (400),
 * added roles may only carry permissions the actor holds (403), and the org keeps an active admin
 * (422 — so the last admin cannot demote themselves). Bumps the user's permission version: their
 * current access token answers 401 TOKEN_STALE, and the refreshed one carries the new roles.
 */
export async function setUserRoles(
  deps: Pick<IdentityDeps, 'db' | 'authzCache'>,
  actor: Session,
  input: SetUserRolesInput,
): Promise<UserSummary> {
  const roles = await resolveRoles(deps.db, actor.orgId, input.roles);
  await deps.db
    .transaction()
    .execute(async (trx) => {
      await lockAdminRole(trx, actor.orgId);
      await lockUser(trx, actor.orgId, input.userId);
      const before = (await roleNamesByUser(trx, actor.orgId, [input.userId])).get(input.userId) ?? [];
      const added = roles.filter((role) => !before.includes(role.name));
      const removedNames = before.filter((name) => !roles.some((role) => role.name === name));
      const removed = await resolveRoles(trx, actor.orgId, removedNames);
      // Granting and taking away alike: only roles whose permissions the actor holds.
      assertCanGrant(actor, added);
      assertCanGrant(actor, removed, 'change');
      const after = roles.map((role) => role.name).sort();
      if (before.length === after.length && before.every((name, i) => name === after[i])) return;
      await replaceUserRoles(
        trx,
        actor.orgId,
        input.userId,
        roles.map((role) => role.id),
      );
      await assertOrgKeepsAnAdmin(trx, actor.orgId);
      await bumpPermissionVersion(trx, [input.userId]);
      await appendAudit(trx, {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: 'user.roles_set',
        resourceType: 'user',
        resourceId: input.userId,
        payload: { before, after },
      });
    })
    .catch((error: unknown) => {
      // A role deleted by a concurrent roles.delete between resolving and assigning it.
      if (isForeignKeyViolation(error, 'user_roles_role_fkey')) {
        throw new ConflictError('One of these roles was just deleted; reload and try again');
      }
      throw error;
    });
  await refreshAuthorizationCache(deps, input.userId);
  return findSummary(deps.db, actor.orgId, input.userId);
}

/**
 * Adds one role to a user, never removing any (for other modules' consumers — e.g. creator approval
 * grants `creator`). No-op when the user already holds it. Bumps the permission version when it
 * adds; call `refreshAuthorizationCache` for the user after the transaction commits.
 */
export async function addUserRole(
  trx: Transaction<Database>,
  input: { orgId: string; userId: string; roleName: string },
): Promise<{ added: boolean }> {
  const [role] = await resolveRoles(trx, input.orgId, [input.roleName], 'role');
  if (!role) return { added: false };
  await lockUser(trx, input.orgId, input.userId);
  const inserted = await scoped(trx, input.orgId)
    .insertInto('user_roles', { user_id: input.userId, role_id: role.id })
    .onConflict((oc) => oc.columns(['user_id', 'role_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst();
  if (!inserted) return { added: false };
  await bumpPermissionVersion(trx, [input.userId]);
  return { added: true };
}
