import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import type { LogSink } from '../platform/logger.ts';
import { silentLog } from '../platform/logger.ts';
import type { Redis } from '../platform/redis.ts';
import type { RealtimeEvent, RealtimePublisher } from './port.ts';
import {
  NOTIFY_PAYLOAD_LIMIT_BYTES,
  OVERFLOW_RETENTION_SECONDS,
  prepareRealtimeEvent,
  REALTIME_BUFFER_DEFAULTS,
  REALTIME_PG_CHANNEL,
  realtimeRedisChannel,
  realtimeRedisStreamKey,
  uuidv7,
} from './wire.ts';

/** A publisher that also says which transport it uses (health pages, logs, tests). */
export interface RealtimePublisherAdapter extends RealtimePublisher {
  readonly kind: 'redis' | 'postgres';
}

// One round trip, atomically: append to the org's replay stream (Redis assigns the id), keep it short
// and expiring, and announce the event with that id to every API replica.
//   KEYS[1] stream key · ARGV[1] channel · ARGV[2] max length · ARGV[3] TTL seconds · ARGV[4] body JSON
const PUBLISH_SCRIPT = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[1], id .. ' ' .. ARGV[4])
return id
`;

/**
 * Redis adapter (REDIS_URL set): XADD to `${prefix}rt:org:{orgId}` (the replay buffer) and PUBLISH
 * `<id> <event>` on `${prefix}rt:events`, in one script. Event ids are the stream entry ids.
 * A failed publish rejects (Redis down): callers decide whether that matters (it rarely does —
 * realtime is a hint; the database holds the truth).
 */
export function createRedisRealtimePublisher(
  redis: Redis,
  options: { prefix: string; bufferSize?: number; bufferSeconds?: number },
): RealtimePublisherAdapter {
  const size = options.bufferSize ?? REALTIME_BUFFER_DEFAULTS.size;
  const seconds = options.bufferSeconds ?? REALTIME_BUFFER_DEFAULTS.seconds;
  const channel = realtimeRedisChannel(options.prefix);
  return {
    kind: 'redis',
    async publish(input) {
      const body = prepareRealtimeEvent(input);
      await untilConnected(redis, 1_000);
      await redis.eval(
        PUBLISH_SCRIPT,
        1,
        realtimeRedisStreamKey(options.prefix, body.orgId),
        channel,
        String(size),
        String(seconds),
        JSON.stringify(body),
      );
    },
  };
}

/**
 * Process clients fail fast while disconnected (no offline queue). Right after start the connection
 * is usually still being made: give it a moment rather than failing the first publish.
 */
async function untilConnected(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status !== 'connecting' && redis.status !== 'connect' && redis.status !== 'wait') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
  });
}

/**
 * PostgreSQL adapter (no Redis): `pg_notify('atrium_realtime', <event JSON>)`, delivered to every
 * API replica that LISTENs. An event whose JSON is larger than a notification may carry is stored in
 * `realtime_event_payloads` and announced as `{"ref": id}` in the same transaction, so listeners
 * always find the row. Publishers delete rows older than ten minutes, at most once a minute each.
 */
export function createPostgresRealtimePublisher(
  db: Kysely<Database>,
  options: { log?: LogSink; now?: () => Date } = {},
): RealtimePublisherAdapter {
  const log = options.log ?? silentLog;
  const now = options.now ?? (() => new Date());
  let lastSweep = 0;
  const sweep = async () => {
    const at = now().getTime();
    if (at - lastSweep < 60_000) return;
    lastSweep = at;
    try {
      await db
        .deleteFrom('realtime_event_payloads')
        .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${OVERFLOW_RETENTION_SECONDS})`)
        .execute();
    } catch (error) {
      log.warn({ err: error }, 'realtime: could not delete old overflow payloads');
    }
  };
  return {
    kind: 'postgres',
    async publish(input) {
      const body = prepareRealtimeEvent(input, now());
      const event: RealtimeEvent = { id: uuidv7(now().getTime()), ...body };
      const json = JSON.stringify(event);
      if (Buffer.byteLength(json, 'utf8') <= NOTIFY_PAYLOAD_LIMIT_BYTES) {
        await sql`SELECT pg_notify(${REALTIME_PG_CHANNEL}, ${json})`.execute(db);
        return;
      }
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('realtime_event_payloads')
          .values({ id: event.id, org_id: event.orgId, event: json })
          .execute();
        await sql`SELECT pg_notify(${REALTIME_PG_CHANNEL}, ${JSON.stringify({ ref: event.id })})`.execute(
          trx,
        );
      });
      await sweep();
    },
  };
}

/**
 * The publisher for a process's configuration (SPEC §2): Redis pub/sub when the process has a Redis
 * client, else PostgreSQL NOTIFY. API, worker and scheduler build it the same way with the same
 * REDIS_PREFIX, so their events reach the same subscribers.
 */
export function createRealtimePublisher(options: {
  redis: Redis | null;
  prefix: string;
  db: Kysely<Database>;
  log?: LogSink;
}): RealtimePublisherAdapter {
  if (options.redis) return createRedisRealtimePublisher(options.redis, { prefix: options.prefix });
  return createPostgresRealtimePublisher(options.db, options.log ? { log: options.log } : {});
}

/**
 * Publishes without letting a failure escape: for producers whose own work is already committed and
 * must not be retried because a realtime hint could not be sent. Logged as a warning.
 */
export async function publishQuietly(
  publisher: RealtimePublisher | null | undefined,
  event: Parameters<RealtimePublisher['publish']>[0],
  log: LogSink = silentLog,
): Promise<boolean> {
  if (!publisher) return false;
  try {
    await publisher.publish(event);
    return true;
  } catch (error) {
    log.warn({ err: error, type: event.type, orgId: event.orgId }, 'realtime: publish failed');
    return false;
  }
}
