import type { RealtimeEvent } from './port.ts';

/** Who is listening: the parts of a Session the audience rule reads. */
export interface RealtimeListener {
  userId: string;
  orgId: string;
  permissions: ReadonlySet<string>;
}

/**
 * Whether `listener` may receive `event` (SPEC §2: scoped to the caller's org and permissions):
 * - never an event of another org;
 * - no audience (or an empty one): everyone in the org;
 * - `userIds` and/or `permission`: the listed users, plus holders of the permission (a union, so
 *   "the applicant and the reviewers" is one event). An empty `userIds` with no permission reaches
 *   no one.
 */
export function isInAudience(
  event: Pick<RealtimeEvent, 'orgId' | 'audience'>,
  listener: RealtimeListener,
): boolean {
  if (event.orgId !== listener.orgId) return false;
  const audience = event.audience;
  if (!audience || (audience.userIds === undefined && audience.permission === undefined)) return true;
  if (audience.userIds?.includes(listener.userId)) return true;
  if (audience.permission !== undefined && listener.permissions.has(audience.permission)) return true;
  return false;
}
