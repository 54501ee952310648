import { createPool, type Database } from '@atrium/db';
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

const MAX_BACKOFF_MS = 10_000;

/** The part of a pg PoolClient a LISTEN session uses. */
interface ListenClient {
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  release(destroy?: boolean): void;
}

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
  startTimeoutMs?: number;
  /** application_name of the LISTEN session. */
  applicationName?: string;
}): RealtimeFeed {
  const { db, logger } = options;
  const ring = new MemoryRingBuffer({ size: options.bufferSize ?? REALTIME_BUFFER_DEFAULTS.size });
  // One connection, used only to LISTEN.
  const pool = createPool({
    connectionString: options.connectionString,
    poolSize: 1,
    applicationName: options.applicationName ?? 'atrium-api-realtime',
  });
  let handlers: RealtimeFeedHandlers | null = null;
  let client: ListenClient | null = null;
  let running = false;
  let listening = false;
  let everListened = false;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
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

  const connect = async (): Promise<void> => {
    if (!running) return;
    let lost = false;
    let current = null as ListenClient | null;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      listening = false;
      if (current) {
        current.removeAllListeners('notification');
        current.release(true);
      }
      if (client === current) client = null;
      if (!running) return;
      const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 6));
      attempt += 1;
      logger.warn({ err: error, retryInMs: delay }, 'realtime: LISTEN connection lost; reconnecting');
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(() => void connect(), delay);
      reconnectTimer.unref();
    };
    try {
      const connected: ListenClient = await pool.connect();
      current = connected;
      client = connected;
      connected.on('error', onLost);
      connected.on('end', () => onLost(new Error('connection ended')));
      connected.on('notification', (message) => {
        if (message.channel !== REALTIME_PG_CHANNEL || message.payload === undefined) return;
        const payload = message.payload;
        chain = chain
          .then(() => handle(payload))
          .catch((error: unknown) => logger.error({ err: error }, 'realtime: notification handling failed'));
      });
      await connected.query(`LISTEN ${REALTIME_PG_CHANNEL}`);
      if (lost) return;
      listening = true;
      attempt = 0;
      if (everListened) {
        // Whatever was published while nobody listened is gone (NOTIFY is not stored).
        ring.clear();
        handlers?.gap('all');
        logger.info({}, 'realtime: LISTEN back; subscribers told to resynchronise');
      }
      everListened = true;
    } catch (error) {
      onLost(error);
    }
  };

  return {
    kind: 'postgres',
    async start(feedHandlers) {
      handlers = feedHandlers;
      running = true;
      const first = connect();
      await Promise.race([
        first,
        new Promise((resolve) => setTimeout(resolve, options.startTimeoutMs ?? 5_000)),
      ]);
      if (!listening)
        logger.warn({}, 'realtime: LISTEN not established at start; retrying in the background');
    },
    async replay(orgId, afterId) {
      // Notifications already received but still being read back belong before the replay.
      await chain;
      return ring.replay(orgId, afterId);
    },
    connected: () => listening,
    async stop() {
      running = false;
      handlers = null;
      clearTimeout(reconnectTimer);
      const current = client as ListenClient | null;
      client = null;
      listening = false;
      if (current) {
        current.removeAllListeners();
        current.on('error', () => {});
        current.release(true);
      }
      await chain.catch(() => {});
      await pool.end().catch(() => {});
    },
  };
}
