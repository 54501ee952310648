import type { Database } from '@atrium/db';
import { type PgListener, startPgListener } from '@atrium/db/listener';
import type { RealtimeEvent } from '@atrium/domain/realtime/port';
import {
  decodePgNotification,
  parseRealtimeEventBody,
  REALTIME_BUFFER_DEFAULTS,
  REALTIME_PG_CHANNEL,
} from '@atrium/domain/realtime/wire';
import type { Logger } from '@atrium/observability';
import type { Kysely } from 'kysely';
import { MemoryRingBuffer, type RealtimeFeed, type RealtimeFeedHandlers } from './feed.ts';

/**
 * PostgreSQL transport (no Redis): a dedicated `LISTEN atrium_realtime` session (keep-alive,
 * reconnect with backoff). Notifications are handled one at a time in arrival order; a `{ref}`
 * notification is read back from `realtime_event_payloads`. The replay buffer is this replica's
 * memory (MemoryRingBuffer); every replica receives every event, so any of them can serve a
 * reconnect. NOTIFY is not durable: after the session was lost, the buffer is cleared and active
 * subscribers are told to resynchronise.
 */
export function createPostgresRealtimeFeed(options: {
  connectionString: string;
  db: Kysely<Database>;
  logger: Logger;
  bufferSize?: number;
  /** How long connecting the LISTEN session may take before start() goes on without it. */
  startTimeoutMs?: number;
  /** application_name of the LISTEN session. */
  applicationName?: string;
}): RealtimeFeed {
  const { db, logger } = options;
  const ring = new MemoryRingBuffer({ size: options.bufferSize ?? REALTIME_BUFFER_DEFAULTS.size });
  let handlers: RealtimeFeedHandlers | null = null;
  let listener: PgListener | null = null;
  let chain: Promise<void> = Promise.resolve();

  const handle = async (payload: string) => {
    const decoded = decodePgNotification(payload);
    if (!decoded) {
      logger.warn({}, 'realtime: malformed notification dropped');
      return;
    }
    let event: RealtimeEvent | null = null;
    if (decoded.kind === 'event') {
      event = decoded.event;
    } else {
      const row = await db
        .selectFrom('realtime_event_payloads')
        .select('event')
        .where('id', '=', decoded.id)
        .executeTakeFirst();
      const raw = row?.event as Record<string, unknown> | undefined;
      const body = raw ? parseRealtimeEventBody(raw) : null;
      if (!body || typeof raw?.id !== 'string') {
        logger.warn({ id: decoded.id }, 'realtime: overflow payload not found (deleted?); dropped');
        return;
      }
      event = { id: raw.id, ...body };
    }
    ring.push(event);
    handlers?.event(event);
  };

  return {
    kind: 'postgres',
    async start(feedHandlers) {
      handlers = feedHandlers;
      listener = await startPgListener({
        connectionString: options.connectionString,
        applicationName: options.applicationName ?? 'atrium-api-realtime',
        channels: [REALTIME_PG_CHANNEL],
        connectTimeoutMs: options.startTimeoutMs ?? 5_000,
        onNotification: (message) => {
          if (message.channel !== REALTIME_PG_CHANNEL || message.payload === undefined) return;
          const payload = message.payload;
          chain = chain
            .then(() => handle(payload))
            .catch((error: unknown) =>
              logger.error({ err: error }, 'realtime: notification handling failed'),
            );
        },
        onListening: ({ reconnected }) => {
          if (!reconnected) return;
          // Whatever was published while nobody listened is gone (NOTIFY is not stored).
          ring.clear();
          handlers?.gap('all');
          logger.info({}, 'realtime: LISTEN back; subscribers told to resynchronise');
        },
        onLost: (error, retryInMs) =>
          logger.warn({ err: error, retryInMs }, 'realtime: LISTEN connection lost; reconnecting'),
      });
      if (!listener.listening())
        logger.warn({}, 'realtime: LISTEN not established at start; retrying in the background');
    },
    async replay(orgId, afterId) {
      // Notifications already received but still being read back belong before the replay.
      await chain;
      return ring.replay(orgId, afterId);
    },
    connected: () => listener?.listening() ?? false,
    async stop() {
      handlers = null;
      await listener?.stop();
      listener = null;
      await chain.catch(() => {});
    },
  };
}
