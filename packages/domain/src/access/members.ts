import type { Database } from '@atrium/db';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';

/**
 * "Who holds this?" — asked by reviewers' notices (a permission), the last-admin rule (a role), the
 * user list's role filter and the quarantine notice (the platform's operators). Answered here, from
 * the access tables, so no other module joins `user_roles` to `roles` itself.
 */
export type MemberSelector =
  /** Members of the org holding the role of that name. */
  | { orgId: string; role: string }
  /** Members of the org holding the permission through any of their roles. */
  | { orgId: string; permission: string }
  /** Every member of the org (a notification to everyone). */
  | { orgId: string; everyone: true }
  /** Platform operators, whatever their org (SPEC §1: the platform-wide ops role). */
  | { platformRole: 'operator' };

/**
 * A condition on `users` rows: the user holds the role, or a role granting the permission (roles are
 * per org, and the schema's composite keys tie a user's roles to the user's org). For queries over
 * `users` that filter on roles.
 */
export function holdsRoleOrPermission(
  eb: ExpressionBuilder<Database, 'users'>,
  grant: { role: string } | { permission: string },
): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('user_roles')
      .innerJoin('roles', (join) =>
        join.onRef('roles.id', '=', 'user_roles.role_id').onRef('roles.org_id', '=', 'user_roles.org_id'),
      )
      .select(sql`1`.as('one'))
      .whereRef('user_roles.user_id', '=', 'users.id')
      .where((roles) =>
        'role' in grant
          ? roles('roles.name', '=', grant.role)
          : sql<SqlBool>`${grant.permission} = ANY(roles.permissions)`,
      ),
  );
}

/**
 * Active members matching the selector, ordered by org and id, at most `limit` (a bound on a mistake,
 * not a page: callers notify or check every one). `exceptUserId` leaves one user out (an applicant is
 * not their own reviewer). Works in a transaction, whose locks the caller took.
 */
export async function activeMembers(
  db: Kysely<Database>,
  selector: MemberSelector,
  options: { limit: number; exceptUserId?: string },
): Promise<Array<{ userId: string; orgId: string }>> {
  let query = db
    .selectFrom('users')
    .select(['users.id', 'users.org_id'])
    .where('users.status', '=', 'active')
    .orderBy('users.org_id')
    .orderBy('users.id')
    .limit(options.limit);
  if ('platformRole' in selector) {
    query = query.where('users.platform_role', '=', selector.platformRole);
  } else if ('everyone' in selector) {
    query = query.where('users.org_id', '=', selector.orgId);
  } else {
    query = query
      .where('users.org_id', '=', selector.orgId)
      .where((eb) => holdsRoleOrPermission(eb, selector));
  }
  if (options.exceptUserId) query = query.where('users.id', '<>', options.exceptUserId);
  const rows = await query.execute();
  return rows.map((row) => ({ userId: row.id, orgId: row.org_id }));
}
