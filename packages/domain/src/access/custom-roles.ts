import type { Database } from '@atrium/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { appendAudit } from '../audit/index.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../errors.ts';
import type { IdentityDeps } from '../identity/deps.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../platform/postgres-errors.ts';
import { scoped } from '../tenancy/scoped.ts';
import { refreshAuthorizationCaches } from './authorization.ts';
import { bumpPermissionVersion } from './permission-version.ts';
import { isPermission, type Permission } from './permissions.ts';
import { BUILT_IN_ROLE_NAMES, PLATFORM_ONLY_PERMISSIONS } from './roles.ts';
import type { Session } from './session.ts';

export const ZCustomRoleName = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_-]{1,39}$/, {
    message: 'Use 2–40 lower-case letters, digits, "-" or "_", starting with a letter',
  });

const ZPermissionList = z.array(z.string().trim().min(1).max(64)).max(64);

export const ZCreateRoleInput = z.object({ name: ZCustomRoleName, permissions: ZPermissionList });
export type CreateRoleInput = z.infer<typeof ZCreateRoleInput>;

export const ZUpdateRoleInput = z.object({
  id: z.uuid(),
  name: ZCustomRoleName.optional(),
  permissions: ZPermissionList.optional(),
});
export type UpdateRoleInput = z.infer<typeof ZUpdateRoleInput>;

export const ZDeleteRoleInput = z.object({ id: z.uuid() });
export type DeleteRoleInput = z.infer<typeof ZDeleteRoleInput>;

export interface RoleSummary {
  id: string;
  name: string;
  permissions: string[];
  isBuiltIn: boolean;
  /** How many users of the org hold the role. */
  userCount: number;
  createdAt: Date;
  updatedAt: Date;
}

type RoleDeps = Pick<IdentityDeps, 'db' | 'authzCache'>;

/** Known, org-level permissions only, deduplicated and sorted; anything else → 400 on `permissions`. */
function validatePermissions(permissions: readonly string[]): Permission[] {
  const unknown = permissions.filter((p) => !isPermission(p));
  const platform = permissions.filter((p) => (PLATFORM_ONLY_PERMISSIONS as readonly string[]).includes(p));
  const problems = [
    ...unknown.map((p) => `Unknown permission "${p}"`),
    ...platform.map((p) => `"${p}" is a platform permission and cannot be granted by an org role`),
  ];
  if (problems.length > 0)
    throw new ValidationError(problems[0] ?? 'Invalid permissions', { permissions: problems });
  return [...new Set(permissions as Permission[])].sort();
}

function assertActorHolds(actor: Session, permissions: readonly Permission[]): void {
  const beyond = permissions.filter((p) => !actor.permissions.has(p));
  if (beyond.length > 0) {
    throw new ForbiddenError(`You cannot grant permissions you do not have: ${beyond.join(', ')}`);
  }
}

async function summaries(db: Kysely<Database>, orgId: string, roleId?: string): Promise<RoleSummary[]> {
  let query = scoped(db, orgId)
    .selectFrom('roles')
    .select((eb) => [
      'roles.id',
      'roles.name',
      'roles.permissions',
      'roles.is_builtin',
      'roles.created_at',
      'roles.updated_at',
      eb
        .selectFrom('user_roles')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('user_roles.role_id', '=', 'roles.id')
        .as('user_count'),
    ]);
  if (roleId) query = query.where('roles.id', '=', roleId);
  const rows = await query.execute();
  const builtInOrder = (name: string) => {
    const index = (BUILT_IN_ROLE_NAMES as readonly string[]).indexOf(name);
    return index === -1 ? BUILT_IN_ROLE_NAMES.length : index;
  };
  return rows
    .map((row) => ({
      id: row.id,
      name: row.name,
      permissions: [...row.permissions].sort(),
      isBuiltIn: row.is_builtin,
      userCount: Number(row.user_count ?? 0),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }))
    .sort((a, b) => builtInOrder(a.name) - builtInOrder(b.name) || a.name.localeCompare(b.name));
}

/** `roles.list`: the org's built-in roles (in their fixed order), then its custom roles by name. */
export function listRoles(deps: Pick<IdentityDeps, 'db'>, actor: Session): Promise<RoleSummary[]> {
  return summaries(deps.db, actor.orgId);
}

async function summaryOf(db: Kysely<Database>, orgId: string, roleId: string): Promise<RoleSummary> {
  const [summary] = await summaries(db, orgId, roleId);
  if (!summary) throw new NotFoundError('Role');
  return summary;
}

const NAME_TAKEN = 'A role with this name already exists';

/** `roles.create {name, permissions}`: a custom role. Name taken (built-in names included) → 409. */
export async function createRole(
  deps: RoleDeps,
  actor: Session,
  input: CreateRoleInput,
): Promise<RoleSummary> {
  const permissions = validatePermissions(input.permissions);
  assertActorHolds(actor, permissions);
  try {
    const id = await deps.db.transaction().execute(async (trx) => {
      const role = await scoped(trx, actor.orgId)
        .insertInto('roles', { name: input.name, permissions, is_builtin: false })
        .onConflict((oc) => oc.columns(['org_id', 'name']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!role) throw new ConflictError(NAME_TAKEN);
      await appendAudit(trx, {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: 'role.created',
        resourceType: 'role',
        resourceId: role.id,
        payload: { name: input.name, permissions },
      });
      return role.id;
    });
    return summaryOf(deps.db, actor.orgId, id);
  } catch (error) {
    if (isUniqueViolation(error, 'roles_org_id_name_key')) throw new ConflictError(NAME_TAKEN);
    throw error;
  }
}

async function lockCustomRole(trx: Transaction<Database>, orgId: string, roleId: string) {
  const role = await scoped(trx, orgId)
    .selectFrom('roles')
    .select(['id', 'name', 'permissions', 'is_builtin'])
    .where('id', '=', roleId)
    .forUpdate()
    .executeTakeFirst();
  if (!role) throw new NotFoundError('Role');
  if (role.is_builtin)
    throw new UnprocessableError(`The built-in role "${role.name}" cannot be changed or deleted`);
  return role;
}

async function holdersOf(trx: Transaction<Database>, orgId: string, roleId: string): Promise<string[]> {
  const rows = await scoped(trx, orgId)
    .selectFrom('user_roles')
    .select('user_id')
    .where('role_id', '=', roleId)
    .execute();
  return rows.map((row) => row.user_id);
}

/**
 * `roles.update {id, name?, permissions?}`: renames and/or re-permissions a custom role. Every holder's
 * permission version is bumped (their tokens go stale and refresh into the new permissions) and
 * their cached authorisation refreshed.
 */
export async function updateRole(
  deps: RoleDeps,
  actor: Session,
  input: UpdateRoleInput,
): Promise<RoleSummary> {
  const permissions = input.permissions === undefined ? undefined : validatePermissions(input.permissions);
  let holders: string[] = [];
  try {
    await deps.db.transaction().execute(async (trx) => {
      const role = await lockCustomRole(trx, actor.orgId, input.id);
      if (permissions)
        assertActorHolds(
          actor,
          permissions.filter((p) => !role.permissions.includes(p)),
        );
      const name = input.name ?? role.name;
      const nextPermissions = permissions ?? role.permissions;
      const changed =
        name !== role.name ||
        nextPermissions.length !== role.permissions.length ||
        nextPermissions.some((p) => !role.permissions.includes(p));
      if (!changed) return;
      if (name !== role.name) {
        const taken = await scoped(trx, actor.orgId)
          .selectFrom('roles')
          .select('id')
          .where('name', '=', name)
          .executeTakeFirst();
        if (taken) throw new ConflictError(NAME_TAKEN);
      }
      await scoped(trx, actor.orgId)
        .updateTable('roles')
        .set({ name, permissions: nextPermissions, updated_at: sql<Date>`now()` })
        .where('id', '=', role.id)
        .execute();
      holders = await holdersOf(trx, actor.orgId, role.id);
      await bumpPermissionVersion(trx, holders);
      await appendAudit(trx, {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: 'role.updated',
        resourceType: 'role',
        resourceId: role.id,
        payload: {
          before: { name: role.name, permissions: [...role.permissions].sort() },
          after: { name, permissions: [...nextPermissions].sort() },
          affectedUsers: holders.length,
        },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error, 'roles_org_id_name_key')) throw new ConflictError(NAME_TAKEN);
    throw error;
  }
  await refreshAuthorizationCaches(deps, holders);
  return summaryOf(deps.db, actor.orgId, input.id);
}

/**
 * `roles.delete {id}`: deletes a custom role that nobody holds. A role still assigned answers 409
 * (take it away from its holders first — an explicit step, rather than silently shrinking their
 * permissions). Built-in roles → 422.
 */
export async function deleteRole(
  deps: RoleDeps,
  actor: Session,
  input: DeleteRoleInput,
): Promise<{ deleted: true }> {
  await deps.db
    .transaction()
    .execute(async (trx) => {
      const role = await lockCustomRole(trx, actor.orgId, input.id);
      const holders = await holdersOf(trx, actor.orgId, role.id);
      if (holders.length > 0) {
        throw new ConflictError(
          `The role "${role.name}" is assigned to ${holders.length} user${holders.length === 1 ? '' : 's'}; remove it from them first`,
          { userCount: holders.length },
        );
      }
      await scoped(trx, actor.orgId).deleteFrom('roles').where('id', '=', role.id).execute();
      await appendAudit(trx, {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: 'role.deleted',
        resourceType: 'role',
        resourceId: role.id,
        payload: { name: role.name, permissions: [...role.permissions].sort() },
      });
    })
    .catch((error: unknown) => {
      // Assigned by a concurrent users.setRoles after the check above: still in use.
      if (isForeignKeyViolation(error, 'user_roles_role_fkey'))
        throw new ConflictError('The role is assigned to users');
      throw error;
    });
  return { deleted: true };
}
