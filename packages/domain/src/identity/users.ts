import type { Database, User } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import type { AuthState } from '../access/authorization-cache.ts';
import type { Permission } from '../access/permissions.ts';
import { ValidationError } from '../errors.ts';
import { scoped } from '../tenancy/scoped.ts';

/** The signed-in user as sign-in, refresh and `users.me` describe them to the client. */
export interface SignedInUser {
  id: string;
  orgId: string;
  email: string;
  name: string;
  roles: string[];
  permissions: Permission[];
  mustChangePassword: boolean;
}

/** Emails compare case-insensitively (citext); this is only for rate-limit keys and messages. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The one unscoped user lookup: sign-in, verification and reset start from an email address, before
 * any org is known. Email is globally unique, so the answer is one user of one org.
 */
export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.trim()).executeTakeFirst();
}

export function signedInUser(
  user: Pick<User, 'id' | 'org_id' | 'email' | 'name'>,
  state: AuthState,
): SignedInUser {
  return {
    id: user.id,
    orgId: user.org_id,
    email: user.email,
    name: user.name,
    roles: [...state.roles],
    permissions: [...state.permissions],
    mustChangePassword: state.mustChangePassword,
  };
}

export interface OrgRole {
  id: string;
  name: string;
  permissions: string[];
  is_builtin: boolean;
}

/** The org's roles with these names; any name the org does not have → 400 with fieldErrors[field]. */
export async function resolveRoles(
  db: Kysely<Database>,
  orgId: string,
  names: readonly string[],
  field = 'roles',
): Promise<OrgRole[]> {
  const wanted = [...new Set(names)];
  if (wanted.length === 0) return [];
  const found = await scoped(db, orgId)
    .selectFrom('roles')
    .select(['id', 'name', 'permissions', 'is_builtin'])
    .where('name', 'in', wanted)
    .execute();
  const missing = wanted.filter((name) => !found.some((role) => role.name === name));
  if (missing.length > 0) {
    throw new ValidationError(`Unknown role${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, {
      [field]: missing.map((name) => `No role named "${name}" in this organisation`),
    });
  }
  return found;
}

/** Role names per user, for users of one org. */
export async function roleNamesByUser(
  db: Kysely<Database>,
  orgId: string,
  userIds: readonly string[],
): Promise<Map<string, string[]>> {
  const byUser = new Map<string, string[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return byUser;
  const rows = await scoped(db, orgId)
    .selectFrom('user_roles')
    .innerJoin('roles', (join) =>
      join.onRef('roles.id', '=', 'user_roles.role_id').onRef('roles.org_id', '=', 'user_roles.org_id'),
    )
    .select(['user_roles.user_id', 'roles.name'])
    .where('user_roles.user_id', 'in', userIds)
    .orderBy('roles.name')
    .execute();
  for (const row of rows) byUser.get(row.user_id)?.push(row.name);
  return byUser;
}

/** Sets the user's roles to exactly `roleIds` (which must be roles of `orgId`). */
export async function replaceUserRoles(
  db: Kysely<Database>,
  orgId: string,
  userId: string,
  roleIds: readonly string[],
): Promise<void> {
  const scope = scoped(db, orgId);
  await scope.deleteFrom('user_roles').where('user_id', '=', userId).execute();
  if (roleIds.length > 0) {
    await scope
      .insertInto(
        'user_roles',
        roleIds.map((roleId) => ({ user_id: userId, role_id: roleId })),
      )
      .execute();
  }
}

/** Stores a new password hash and clears must_change_password. */
export async function setPassword(
  trx: Transaction<Database>,
  input: { userId: string; passwordHash: string; now: Date },
): Promise<void> {
  await trx
    .updateTable('users')
    .set({
      password_hash: input.passwordHash,
      must_change_password: false,
      updated_at: input.now,
    })
    .where('id', '=', input.userId)
    .execute();
}
