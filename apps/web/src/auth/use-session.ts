import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import {
  ensureSessionRestored,
  getSessionSnapshot,
  type Permission,
  type SessionOrg,
  type SessionSnapshot,
  type SessionStatus,
  type SessionUser,
  subscribeSession,
} from './session-store.ts';

export interface Session {
  status: SessionStatus;
  user: SessionUser | null;
  org: SessionOrg | null;
  roles: readonly string[];
  permissions: ReadonlySet<Permission>;
  /** True when the user holds the permission. */
  can(permission: Permission): boolean;
  /** True when the user holds at least one of them (an empty list: any signed-in user). */
  canAny(permissions: readonly Permission[]): boolean;
  endedReason: string | null;
  restoreError: unknown;
}

function toSession(snapshot: SessionSnapshot): Session {
  const permissions = new Set<Permission>(snapshot.user?.permissions ?? []);
  return {
    status: snapshot.status,
    user: snapshot.user,
    org: snapshot.org,
    roles: snapshot.user?.roles ?? [],
    permissions,
    can: (permission) => permissions.has(permission),
    canAny: (wanted) =>
      snapshot.user !== null && (wanted.length === 0 || wanted.some((p) => permissions.has(p))),
    endedReason: snapshot.endedReason,
    restoreError: snapshot.restoreError,
  };
}

/**
 * Who is signed in: user, organisation, roles and permissions. The first use on a page load starts
 * the silent restore from the refresh cookie; until it answers `status` is `restoring`.
 */
export function useSession(): Session {
  const snapshot = useSyncExternalStore(subscribeSession, getSessionSnapshot, getSessionSnapshot);
  useEffect(() => {
    ensureSessionRestored();
  }, []);
  return useMemo(() => toSession(snapshot), [snapshot]);
}

/**
 * Drops every cached query when the signed-in user changes or signs out, so nobody ever sees the
 * previous user's data. Mounted once, by the shell.
 */
export function useQueryCacheFollowsSession(): void {
  const queryClient = useQueryClient();
  const { status, user } = useSession();
  const userId = status === 'signedIn' ? (user?.id ?? null) : null;
  const previous = useRef<string | null>(null);
  useEffect(() => {
    if (previous.current !== null && previous.current !== userId) queryClient.clear();
    previous.current = userId;
  }, [queryClient, userId]);
}
