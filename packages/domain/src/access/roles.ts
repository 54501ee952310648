import type { Database } from '@atrium/db';
import { sql, type Transaction } from 'kysely';
import { bumpPermissionVersion } from './permission-version.ts';
import { isPermission, PERMISSIONS, type Permission } from './permissions.ts';

/**
 * Permissions that only the platform grants: schedules are global (SPEC §8), so no org role — built-in
 * or custom — may carry them. Platform operators get them through `users.platform_role`.
 */
export const PLATFORM_ONLY_PERMISSIONS: readonly Permission[] = ['scheduler.manage'];

/** What `platform_role = 'operator'` adds to whatever the operator's org roles grant. */
export const OPERATOR_PERMISSIONS: readonly Permission[] = ['ops.read', 'ops.manage', 'scheduler.manage'];

/** Permissions an org role may grant: everything but the platform-only ones. */
export const ORG_PERMISSIONS: readonly Permission[] = PERMISSIONS.filter(
  (permission) => !PLATFORM_ONLY_PERMISSIONS.includes(permission),
);

export const BUILT_IN_ROLE_NAMES = ['admin', 'manager', 'editor', 'creator', 'publisher', 'viewer'] as const;
export type BuiltInRoleName = (typeof BUILT_IN_ROLE_NAMES)[number];

/**
 * The built-in roles, defined here and materialised as rows for every org (so user_roles can point at
 * them like at custom roles). They cannot be edited or deleted through `roles.*`; changing a line here
 * reaches existing orgs through `syncBuiltInRoles` at API start.
 */
export const BUILT_IN_ROLES: Readonly<Record<BuiltInRoleName, readonly Permission[]>> = {
  admin: ORG_PERMISSIONS,
  manager: ['workplace.write', 'workplace.sync', 'datasets.read'],
  editor: ['content.write', 'content.publish', 'content.review', 'creators.review', 'datasets.read'],
  creator: ['content.write', 'datasets.read'],
  publisher: ['datasets.ingest', 'datasets.read'],
  viewer: ['datasets.read'],
};

export const DEFAULT_SIGNUP_ROLE: BuiltInRoleName = 'viewer';

/**
 * Permissions that administer the organisation itself: its people, roles and settings, what it sends
 * and its audit trail and logs. Open sign-up hands its default role to anyone who finds the link, so
 * a role granting any of these is never eligible as the default (docs/identity.md, "Organisation
 * settings").
 */
export const ADMIN_LEVEL_PERMISSIONS: readonly Permission[] = [
  'users.manage',
  'roles.manage',
  'org.manage',
  'notifications.send',
  'audit.read',
  'logs.read',
  'incidents.manage',
];

/** The admin-level permissions a role grants (empty: it may be the sign-up default). */
export function adminLevelPermissionsOf(permissions: readonly string[]): Permission[] {
  return ADMIN_LEVEL_PERMISSIONS.filter((permission) => permissions.includes(permission));
}

export function isBuiltInRoleName(name: string): name is BuiltInRoleName {
  return (BUILT_IN_ROLE_NAMES as readonly string[]).includes(name);
}

/**
 * A user's effective permissions: the union of their roles' permissions (unknown strings, e.g. from a
 * permission retired since, are dropped) plus the operator's platform permissions. Sorted, for stable
 * tokens and cache entries.
 */
export function effectivePermissions(
  rolePermissions: ReadonlyArray<readonly string[]>,
  platformRole: 'operator' | null,
): Permission[] {
  const granted = new Set<Permission>();
  for (const permissions of rolePermissions) {
    for (const permission of permissions) if (isPermission(permission)) granted.add(permission);
  }
  if (platformRole === 'operator') for (const permission of OPERATOR_PERMISSIONS) granted.add(permission);
  return [...granted].sort();
}

/** Creates the org's built-in role rows (idempotent). Runs in the org's creating transaction. */
export async function materialiseBuiltInRoles(trx: Transaction<Database>, orgId: string): Promise<void> {
  await trx
    .insertInto('roles')
    .values(
      BUILT_IN_ROLE_NAMES.map((name) => ({
        org_id: orgId,
        name,
        permissions: [...BUILT_IN_ROLES[name]],
        is_builtin: true,
      })),
    )
    .onConflict((oc) => oc.columns(['org_id', 'name']).doNothing())
    .execute();
}

/**
 * Brings every org's built-in roles in line with the code: creates missing ones and rewrites the
 * permissions of those that drifted (a release that adds a permission to `editor`, say), bumping the
 * permission version of their holders so stale tokens refresh. Returns the ids of those users, whose
 * cached authorisation the caller refreshes. Safe to run concurrently from several replicas.
 */
export async function syncBuiltInRoles(trx: Transaction<Database>): Promise<{ affectedUserIds: string[] }> {
  // One replica at a time; the others find nothing left to do.
  await sql`SELECT pg_advisory_xact_lock(hashtext('atrium.sync-built-in-roles'))`.execute(trx);
  const orgs = await trx.selectFrom('orgs').select('id').execute();
  for (const org of orgs) await materialiseBuiltInRoles(trx, org.id);

  const changedRoleIds: string[] = [];
  for (const name of BUILT_IN_ROLE_NAMES) {
    const wanted = [...BUILT_IN_ROLES[name]].sort();
    const changed = await trx
      .updateTable('roles')
      .set({ permissions: wanted, updated_at: sql<Date>`now()`, is_builtin: true })
      .where('name', '=', name)
      .where((eb) =>
        eb.or([
          eb('is_builtin', '=', false),
          sql<boolean>`NOT (permissions @> ${wanted} AND permissions <@ ${wanted})`,
        ]),
      )
      .returning('id')
      .execute();
    changedRoleIds.push(...changed.map((row) => row.id));
  }
  if (changedRoleIds.length === 0) return { affectedUserIds: [] };
  const holders = await trx
    .selectFrom('user_roles')
    .select('user_id')
    .distinct()
    .where('role_id', 'in', changedRoleIds)
    .execute();
  const affectedUserIds = holders.map((row) => row.user_id);
  await bumpPermissionVersion(trx, affectedUserIds);
  return { affectedUserIds };
}
