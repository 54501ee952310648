import type { Unsubscribable } from '@trpc/server/observable';
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { getAccessToken, refreshAccessToken } from '../auth/session-store.ts';
import { useSession } from '../auth/use-session.ts';
import { describeError } from './errors.ts';
import { trpc } from './trpc.ts';

/**
 * Live events for the signed-in user (SPEC §2): one `events.subscribe` SSE stream per tab, shared by
 * every component that listens (the notification bell, the inbox, the creator and review pages).
 *
 * - The stream opens with the first listener and closes a moment after the last one leaves.
 * - Events are tracked: the last id seen is sent back on every resubscribe, so the API replays what
 *   the tab missed (or answers `realtime.resync` when it no longer can: refetch what you show).
 * - The API re-checks the stream's token every so often. TOKEN_EXPIRED / TOKEN_STALE end the stream;
 *   the session's silent refresh gets a new token (one refresh at a time, shared with every other call)
 *   and the stream resumes from its last id. UNAUTHENTICATED ends it: the session is over.
 * - `user.roles_changed` (a role was granted, e.g. after a creator approval) refreshes the token at
 *   once, so the new permissions show without waiting for the next refused call, and resubscribes so
 *   the stream's audience follows them.
 * - Other failures (API restarting, network gone) retry with exponential backoff; after such a gap
 *   listeners get a local `realtime.resync`.
 */

/** Sent by the API (and locally after a gap) when events may have been missed: refetch. */
export const RESYNC_EVENT = 'realtime.resync';
/** The worker's hint that the user's roles changed (packages/domain/src/creators/consumers.ts). */
export const ROLES_CHANGED_EVENT = 'user.roles_changed';

export interface RealtimeEvent {
  /** The stream's event id (`resync` for a resync before any event). */
  id: string;
  type: string;
  payload: unknown;
  /** ISO time the event was published. */
  at: string;
}

export type RealtimeListener = (event: RealtimeEvent) => void;

/**
 * `off`: nobody listens or nobody is signed in; `connecting`: first connection; `live`: the API
 * accepted the stream; `reconnecting`: it dropped and is coming back; `failed`: refused for good
 * (signed out, not allowed) until the page's session changes.
 */
export type RealtimeStatus = 'off' | 'connecting' | 'live' | 'reconnecting' | 'failed';

const REFRESH_CODES: ReadonlySet<string> = new Set(['TOKEN_EXPIRED', 'TOKEN_STALE']);
const FINAL_CODES: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'EMAIL_NOT_VERIFIED']);
const MAX_BACKOFF_MS = 30_000;
/** Route changes unmount and mount listeners; the stream survives such a gap. */
const CLOSE_DELAY_MS = 2_000;

interface Stream {
  userId: string;
  lastEventId: string | null;
  /** Bumped on every (re)open: callbacks of an older subscription are ignored. */
  generation: number;
  subscription: Unsubscribable | null;
  retryTimer: ReturnType<typeof setTimeout> | null;
  failures: number;
  /** True once the stream was open before: the next open follows a gap. */
  opened: boolean;
  closed: boolean;
}

const listeners = new Set<RealtimeListener>();
const statusListeners = new Set<() => void>();
let status: RealtimeStatus = 'off';
let stream: Stream | null = null;
let closeTimer: ReturnType<typeof setTimeout> | null = null;

function setStatus(next: RealtimeStatus): void {
  if (status === next) return;
  status = next;
  for (const listener of [...statusListeners]) listener();
}

function emit(event: RealtimeEvent): void {
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch (error) {
      console.error('A realtime listener failed', error);
    }
  }
}

function localResync(reason: string): void {
  emit({ id: 'local', type: RESYNC_EVENT, payload: { reason }, at: new Date().toISOString() });
}

function open(current: Stream): void {
  if (current.closed) return;
  // A new generation first: the old subscription's last callbacks (fired by unsubscribe) are ignored.
  current.generation += 1;
  const generation = current.generation;
  current.subscription?.unsubscribe();
  current.subscription = null;
  const isCurrent = () => stream === current && !current.closed && current.generation === generation;
  const token = getAccessToken();
  setStatus(current.opened ? 'reconnecting' : 'connecting');
  const input = current.lastEventId ? { lastEventId: current.lastEventId } : undefined;
  current.subscription = trpc.events.subscribe.subscribe(input, {
    onStarted: () => {
      if (!isCurrent()) return;
      const afterGap = current.opened;
      current.opened = true;
      current.failures = 0;
      setStatus('live');
      // Without a last id the API cannot replay what happened while the stream was down.
      if (afterGap && !current.lastEventId) localResync('reconnected');
    },
    onConnectionStateChange: (state) => {
      if (!isCurrent()) return;
      if (state.state === 'connecting' && state.error) setStatus('reconnecting');
      else if (state.state === 'pending') setStatus('live');
    },
    onData: (tracked) => {
      if (!isCurrent()) return;
      const event: RealtimeEvent = { id: tracked.id, ...tracked.data };
      if (event.id !== 'resync') current.lastEventId = event.id;
      emit(event);
      if (event.type === ROLES_CHANGED_EVENT) void refreshThenReopen(current, null);
    },
    onError: (error) => {
      if (!isCurrent()) return;
      current.subscription = null;
      const { code } = describeError(error);
      if (code !== null && REFRESH_CODES.has(code)) {
        void refreshThenReopen(current, token);
      } else if (code !== null && FINAL_CODES.has(code)) {
        setStatus('failed');
      } else {
        retryLater(current);
      }
    },
    onComplete: () => {
      // The server ended the stream without an error (it never does on purpose): come back.
      if (!isCurrent() || current.subscription === null) return;
      current.subscription = null;
      retryLater(current);
    },
  });
}

async function refreshThenReopen(current: Stream, rejectedToken: string | null): Promise<void> {
  const generation = current.generation;
  const refreshed = await refreshAccessToken(rejectedToken);
  if (stream !== current || current.closed || current.generation !== generation) return;
  if (refreshed) open(current);
  else setStatus('failed');
}

function retryLater(current: Stream): void {
  current.failures += 1;
  setStatus('reconnecting');
  const base = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** (current.failures - 1));
  const delay = base / 2 + Math.random() * (base / 2);
  if (current.retryTimer) clearTimeout(current.retryTimer);
  current.retryTimer = setTimeout(() => {
    current.retryTimer = null;
    if (stream === current) open(current);
  }, delay);
}

function close(current: Stream): void {
  current.closed = true;
  current.subscription?.unsubscribe();
  current.subscription = null;
  if (current.retryTimer) clearTimeout(current.retryTimer);
  if (stream === current) {
    stream = null;
    setStatus('off');
  }
}

/** Listens to the signed-in user's live events; the returned function stops listening. */
export function listenToRealtime(userId: string, listener: RealtimeListener): () => void {
  if (closeTimer) {
    clearTimeout(closeTimer);
    closeTimer = null;
  }
  if (stream && stream.userId !== userId) close(stream);
  listeners.add(listener);
  if (!stream) {
    stream = {
      userId,
      lastEventId: null,
      generation: 0,
      subscription: null,
      retryTimer: null,
      failures: 0,
      opened: false,
      closed: false,
    };
    open(stream);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0 || closeTimer) return;
    closeTimer = setTimeout(() => {
      closeTimer = null;
      if (listeners.size === 0 && stream) close(stream);
    }, CLOSE_DELAY_MS);
  };
}

function subscribeStatus(listener: () => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

function getStatus(): RealtimeStatus {
  return status;
}

/** The state of this tab's live connection. */
export function useRealtimeStatus(): RealtimeStatus {
  return useSyncExternalStore(subscribeStatus, getStatus, getStatus);
}

/**
 * Calls `listener` with every live event of the signed-in user while the component is mounted (the
 * latest `listener` each time: no need to memoise it). Does nothing while signed out or while a
 * password change is pending. Returns the connection's state.
 */
export function useRealtimeEvents(listener: RealtimeListener): RealtimeStatus {
  const session = useSession();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  const userId =
    session.status === 'signedIn' && session.user && !session.user.mustChangePassword
      ? session.user.id
      : null;
  useEffect(() => {
    if (!userId) return;
    return listenToRealtime(userId, (event) => latest.current(event));
  }, [userId]);
  return useRealtimeStatus();
}
