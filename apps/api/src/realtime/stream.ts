import type { Session } from '@atrium/domain/access/session';
import { ExternalServiceError } from '@atrium/domain/errors';
import { isInAudience } from '@atrium/domain/realtime/audience';
import type { RealtimeEvent } from '@atrium/domain/realtime/port';
import { type TrackedEnvelope, tracked } from '@trpc/server';
import { z } from 'zod';
import { toTRPCError } from '../errors.ts';
import type { RealtimeHub } from './hub.ts';

/** What a subscriber receives for each event (`tracked`: the SSE id is the event id). */
export interface RealtimeMessage {
  type: string;
  payload: unknown;
  /** ISO time the event was published. */
  at: string;
}

/**
 * Sent when the client may have missed events (its last id fell out of the replay buffer, the
 * transport reconnected, or the client read too slowly): refetch what the screen shows.
 */
export const RESYNC_EVENT_TYPE = 'realtime.resync';
/** The SSE id of a resync sent before the client had any event id. */
export const NO_EVENT_ID = 'resync';

export const ZEventsSubscribeInput = z
  .object({
    /** Only these event types (a resync always comes through). */
    types: z.array(z.string().min(1).max(100)).max(50).optional(),
    /** Set by the tRPC client on reconnect (tracked events); replays what was missed. */
    lastEventId: z.string().min(1).max(200).nullish(),
  })
  .optional();
export type EventsSubscribeInput = z.infer<typeof ZEventsSubscribeInput>;

type Item =
  | { kind: 'event'; event: RealtimeEvent }
  | { kind: 'resync'; reason: string }
  | { kind: 'close' }
  | { kind: 'error'; error: unknown };

export interface RealtimeStreamOptions {
  hub: RealtimeHub;
  session: Session;
  /** Re-authenticates the connection's token; throws the 401 that ends the stream. */
  revalidate(): Promise<Session>;
  revalidateMs: number;
  input: EventsSubscribeInput;
  signal: AbortSignal | undefined;
  /** Events queued for a slow reader before they are dropped for a resync. */
  maxQueue?: number;
  onDelivered?(): void;
  /**
   * The replica is shutting down and ends this stream: the transport should not keep the connection
   * alive for another request (the client must reconnect to a replica that is up).
   */
  onServerClose?(): void;
}

/**
 * The body of `events.subscribe`: the caller's org's events filtered by audience (SPEC §2), as
 * tracked messages so a reconnecting client sends its last id and gets what it missed.
 *
 * - Registers with the hub first, then replays from the buffer, then drains live events — skipping
 *   those the replay already sent — so nothing falls between replay and live.
 * - Re-authenticates the token every `revalidateMs`: an expired token, a permission change (stale pv)
 *   or a disabled account ends the stream with that 401, the client refreshes and resubscribes with
 *   its last id. The audience check always uses the latest permissions.
 * - When this replica stops, the stream ends with 503 (retryable): the client reconnects elsewhere.
 */
export async function* realtimeStream(
  options: RealtimeStreamOptions,
): AsyncGenerator<TrackedEnvelope<RealtimeMessage>, void, unknown> {
  const { hub, signal } = options;
  const orgId = options.session.orgId;
  const maxQueue = options.maxQueue ?? 1_000;
  const types = options.input?.types ? new Set(options.input.types) : null;
  let session = options.session;
  let lastId = options.input?.lastEventId ?? null;

  const queue: Item[] = [];
  let wake: (() => void) | null = null;
  const push = (item: Item) => {
    if (item.kind === 'event' && queue.length >= maxQueue) {
      // A reader this slow has lost the thread anyway: drop the backlog, ask for a refetch.
      queue.length = 0;
      queue.push({ kind: 'resync', reason: 'slow-consumer' });
    } else {
      queue.push(item);
    }
    wake?.();
  };
  const unsubscribe = hub.subscribe(orgId, {
    event: (event) => push({ kind: 'event', event }),
    resync: (reason) => push({ kind: 'resync', reason }),
    close: () => push({ kind: 'close' }),
  });
  let revalidating = false;
  const timer = setInterval(() => {
    if (revalidating) return;
    revalidating = true;
    options
      .revalidate()
      .then((next) => {
        session = next;
      })
      .catch((error: unknown) => push({ kind: 'error', error }))
      .finally(() => {
        revalidating = false;
      });
  }, options.revalidateMs);
  timer.unref();
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);

  const visible = (event: RealtimeEvent) =>
    (types === null || types.has(event.type)) &&
    isInAudience(event, { userId: session.userId, orgId: session.orgId, permissions: session.permissions });
  const message = (event: RealtimeEvent): RealtimeMessage => ({
    type: event.type,
    payload: event.payload,
    at: event.at,
  });
  const resync = (reason: string, id: string | null) =>
    tracked(id ?? NO_EVENT_ID, {
      type: RESYNC_EVENT_TYPE,
      payload: { reason },
      at: new Date().toISOString(),
    } satisfies RealtimeMessage);

  try {
    const replayed = new Set<string>();
    if (options.input?.lastEventId) {
      const replay = await hub.replay(orgId, options.input.lastEventId);
      if (!replay.complete) {
        lastId = replay.latestId ?? lastId;
        yield resync('missed-events', lastId);
      } else {
        for (const event of replay.events) {
          replayed.add(event.id);
          lastId = event.id;
          if (!visible(event)) continue;
          yield tracked(event.id, message(event));
          options.onDelivered?.();
        }
      }
    }
    while (!signal?.aborted) {
      const item = queue.shift();
      if (!item) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      switch (item.kind) {
        case 'event': {
          if (replayed.delete(item.event.id)) continue;
          lastId = item.event.id;
          if (!visible(item.event)) continue;
          yield tracked(item.event.id, message(item.event));
          options.onDelivered?.();
          break;
        }
        case 'resync':
          yield resync(item.reason, lastId);
          break;
        case 'close':
          options.onServerClose?.();
          throw toTRPCError(
            new ExternalServiceError('UNAVAILABLE', 'realtime', 'This server is restarting; reconnect'),
          );
        case 'error':
          throw toTRPCError(item.error);
      }
    }
  } finally {
    unsubscribe();
    clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
