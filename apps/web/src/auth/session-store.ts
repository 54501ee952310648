import { describeError } from '../lib/errors.ts';
import {
  type RouterOutputs,
  SKIP_AUTH_RECOVERY,
  setAuthRecovery,
  setAuthTokenGetter,
  trpc,
} from '../lib/trpc.ts';

/**
 * The browser's session (SPEC §1, docs/identity.md "Tokens and cookie"):
 *
 * - the **access token lives in memory only** (this module), never in storage a script could read
 *   later; a reload loses it and `auth.refresh` (HttpOnly `atrium_rt` cookie, Path=/trpc) brings a
 *   new one — so a browser context holding the cookie lands signed in;
 * - TOKEN_EXPIRED / TOKEN_STALE answers trigger **one refresh at a time**: one promise per tab, and
 *   across tabs a Web Lock (`navigator.locks`, when the browser has it), because the API treats two
 *   uses of one refresh token as theft and revokes the whole family;
 * - a refused refresh ends the session (the app goes to sign-in); an unreachable API does not.
 */

export type SessionResponse = RouterOutputs['auth']['login'];
export type MyProfile = RouterOutputs['users']['me'];
export type Permission = MyProfile['permissions'][number];

export type SessionStatus = 'restoring' | 'signedIn' | 'signedOut';

export interface SessionUser {
  id: string;
  orgId: string;
  email: string;
  name: string;
  roles: readonly string[];
  permissions: readonly Permission[];
  platformRole: 'operator' | null;
  mustChangePassword: boolean;
}

export interface SessionOrg {
  id: string;
  slug: string;
  name: string;
}

export interface SessionSnapshot {
  status: SessionStatus;
  user: SessionUser | null;
  /** Filled by `users.me` right after sign-in; null until it answered. */
  org: SessionOrg | null;
  /** Why the last session ended without the user signing out (shown on the sign-in page). */
  endedReason: string | null;
  /** The failure of the last restore attempt when it was not a plain "no session" (API unreachable…). */
  restoreError: unknown;
}

const REFRESH_LOCK = 'atrium-refresh';
const CHANNEL = 'atrium-session';
const ENDED_MESSAGE = 'Your session has ended. Sign in again.';

let accessToken: string | null = null;
let snapshot: SessionSnapshot = {
  status: 'restoring',
  user: null,
  org: null,
  endedReason: null,
  restoreError: null,
};
const listeners = new Set<() => void>();

function update(patch: Partial<SessionSnapshot>): void {
  snapshot = { ...snapshot, ...patch };
  for (const listener of listeners) listener();
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getSessionSnapshot(): SessionSnapshot {
  return snapshot;
}

export function getAccessToken(): string | null {
  return accessToken;
}

// ── other tabs ────────────────────────────────────────────────────────────────────────────────

type TabMessage = { type: 'signed-in' } | { type: 'signed-out' };

const channel: BroadcastChannel | null =
  typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL);

function tellOtherTabs(message: TabMessage): void {
  channel?.postMessage(message);
}

channel?.addEventListener('message', (event: MessageEvent<TabMessage>) => {
  if (event.data.type === 'signed-out' && snapshot.status === 'signedIn') {
    // Signing out revoked the refresh token this tab shares: its access token must go too.
    clearSession(null);
  } else if (event.data.type === 'signed-in' && snapshot.status === 'signedOut') {
    void refreshAccessToken(null);
  }
});

// ── session changes ───────────────────────────────────────────────────────────────────────────

function userFrom(response: SessionResponse, previous: SessionUser | null): SessionUser {
  const { user } = response;
  return {
    id: user.id,
    orgId: user.orgId,
    email: user.email,
    name: user.name,
    roles: user.roles,
    permissions: user.permissions,
    mustChangePassword: user.mustChangePassword,
    platformRole: previous?.id === user.id ? previous.platformRole : null,
  };
}

/**
 * Adopts a session the API issued (sign-in, refresh, password change). The first time a user is
 * seen, `users.me` adds what the token response lacks (organisation, platform role) before the app
 * counts as signed in, so the navigation does not flicker.
 */
export async function adoptSession(response: SessionResponse): Promise<void> {
  const previous = snapshot.user;
  const sameUser = previous?.id === response.user.id;
  accessToken = response.accessToken;
  const user = userFrom(response, previous);
  if (sameUser && snapshot.org) {
    update({ status: 'signedIn', user, endedReason: null, restoreError: null });
    return;
  }
  update({ user, org: null });
  try {
    // Runs inside a refresh: a stale answer must fail here, not wait for the refresh it is part of.
    const me = await trpc.users.me.query(undefined, { context: { [SKIP_AUTH_RECOVERY]: true } });
    update({
      status: 'signedIn',
      user: { ...user, platformRole: me.platformRole, mustChangePassword: me.mustChangePassword },
      org: me.org,
      endedReason: null,
      restoreError: null,
    });
  } catch {
    // The session is valid; only its decoration failed. The profile menu shows what it knows.
    update({ status: 'signedIn', endedReason: null, restoreError: null });
  }
}

function clearSession(endedReason: string | null, restoreError: unknown = null): void {
  accessToken = null;
  update({ status: 'signedOut', user: null, org: null, endedReason, restoreError });
}

/** After a successful sign-in in this tab: other signed-out tabs pick the session up. */
export async function signedIn(response: SessionResponse): Promise<void> {
  await adoptSession(response);
  tellOtherTabs({ type: 'signed-in' });
}

/** Revokes the refresh-token family and forgets the session here and in the other tabs. */
export async function signOut(): Promise<void> {
  await trpc.auth.logout.mutate();
  clearSession(null);
  tellOtherTabs({ type: 'signed-out' });
}

/** `users.updateMe` answered: the new name shows in the profile menu at once. */
export function profileUpdated(profile: MyProfile): void {
  if (!snapshot.user || snapshot.user.id !== profile.id) return;
  update({ user: { ...snapshot.user, name: profile.name }, org: profile.org });
}

/** The API refused a call with PASSWORD_CHANGE_REQUIRED: the app sends the user to change it. */
function passwordChangeRequired(): void {
  if (snapshot.user && !snapshot.user.mustChangePassword) {
    update({ user: { ...snapshot.user, mustChangePassword: true } });
  }
}

// ── refresh: one at a time, in this tab and across tabs ───────────────────────────────────────

let refreshing: Promise<boolean> | null = null;

function withRefreshLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? locks.request(REFRESH_LOCK, work) : work();
}

async function runRefresh(): Promise<boolean> {
  const wasSignedIn = snapshot.status === 'signedIn';
  try {
    // The cookie is read when the request leaves, so a tab that waited for the lock sends the
    // token the previous holder's refresh just rotated in.
    const response = await trpc.auth.refresh.mutate();
    await adoptSession(response);
    return true;
  } catch (error) {
    const described = describeError(error);
    if (described.httpStatus === 401) {
      // No cookie, an expired/revoked/reused token, a disabled user: the session is over.
      clearSession(wasSignedIn ? ENDED_MESSAGE : null);
    } else if (!wasSignedIn) {
      // Restoring failed for another reason (API unreachable…): sign-in shows it, with a retry.
      clearSession(null, error);
    }
    return false;
  }
}

/**
 * A new access token from the refresh cookie. With `rejectedToken` (the token a refused call went
 * out with), nothing is done when the session already moved past it: another call refreshed first.
 */
export function refreshAccessToken(rejectedToken: string | null): Promise<boolean> {
  if (rejectedToken !== null && accessToken !== null && accessToken !== rejectedToken) {
    return Promise.resolve(true);
  }
  refreshing ??= withRefreshLock(runRefresh).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

let restoreStarted = false;

/** On app load: the refresh cookie, if any, silently restores the session. Runs once per page load. */
export function ensureSessionRestored(): void {
  if (restoreStarted) return;
  restoreStarted = true;
  void refreshAccessToken(null);
}

/** "Try again" after a restore failed for a reason other than "no session". */
export function retryRestore(): Promise<boolean> {
  update({ status: 'restoring', restoreError: null });
  return refreshAccessToken(null);
}

// ── wiring into the tRPC client ───────────────────────────────────────────────────────────────

setAuthTokenGetter(getAccessToken);
setAuthRecovery({
  refresh: refreshAccessToken,
  observe(error, path) {
    const code = error.data?.code;
    const details = error.data?.details;
    if (code === 'FORBIDDEN' && details?.reason === 'PASSWORD_CHANGE_REQUIRED') {
      passwordChangeRequired();
    } else if (code === 'UNAUTHENTICATED' && !path.startsWith('auth.') && snapshot.status === 'signedIn') {
      // A signed-in call refused outright (e.g. the account was disabled): the session is over.
      clearSession(ENDED_MESSAGE);
    }
  },
});
