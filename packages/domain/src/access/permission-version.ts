import type { Database } from '@atrium/db';
import { sql, type Transaction } from 'kysely';

/**
 * Marks the authorisation of `userIds` as changed (SPEC §1): their `permission_version` goes up by
 * one, so every access token issued before answers 401 TOKEN_STALE and the client refreshes into a
 * token with the new roles. Call it in the transaction of the change (role grant, role edit, disable),
 * then `refreshAuthorizationCache` for the same users once that transaction has committed.
 */
export async function bumpPermissionVersion(
  trx: Transaction<Database>,
  userIds: readonly string[],
): Promise<void> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return;
  await trx
    .updateTable('users')
    .set((eb) => ({ permission_version: eb('permission_version', '+', 1), updated_at: sql<Date>`now()` }))
    .where('id', 'in', ids)
    .execute();
}
