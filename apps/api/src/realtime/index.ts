import type { Database } from '@atrium/db';
import type { Redis } from '@atrium/domain/platform/redis';
import { createRealtimePublisher, type RealtimePublisherAdapter } from '@atrium/domain/realtime/publishers';
import { Counter, Gauge, type Logger, type Registry } from '@atrium/observability';
import type { Kysely } from 'kysely';
import type { ApiEnv } from '../env.ts';
import type { RealtimeFeed } from './feed.ts';
import { createRealtimeHub, type RealtimeHub } from './hub.ts';
import { createPostgresRealtimeFeed } from './postgres-feed.ts';
import { createRedisRealtimeFeed } from './redis-feed.ts';

export type { RealtimeFeed, RealtimeReplay } from './feed.ts';
export type { RealtimeHub, RealtimeSink } from './hub.ts';
export { createPostgresRealtimeFeed } from './postgres-feed.ts';
export { createRedisRealtimeFeed } from './redis-feed.ts';
export { RESYNC_EVENT_TYPE, type RealtimeMessage, realtimeStream, ZEventsSubscribeInput } from './stream.ts';

/** The API's realtime side (docs/realtime.md): the fan-out hub for SSE and a publisher of its own. */
export interface RealtimeServices {
  kind: 'redis' | 'postgres';
  hub: RealtimeHub;
  publisher: RealtimePublisherAdapter;
  /** How often an open subscription re-authenticates its token. */
  revalidateMs: number;
  delivered: Counter;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Redis pub/sub when the API has Redis, else PostgreSQL LISTEN/NOTIFY — the same choice the worker's
 * and scheduler's publishers make from the same configuration.
 */
export function createRealtimeServices(input: {
  env: ApiEnv;
  db: Kysely<Database>;
  redis: Redis | null;
  logger: Logger;
  registry: Registry;
}): RealtimeServices {
  const { env, db, redis, registry } = input;
  const logger = input.logger.child({ module: 'realtime' });
  const feed: RealtimeFeed =
    redis && env.REDIS_URL
      ? createRedisRealtimeFeed({ url: env.REDIS_URL, prefix: env.REDIS_PREFIX, redis, logger })
      : createPostgresRealtimeFeed({ connectionString: env.DATABASE_URL, db, logger });
  const hub = createRealtimeHub({ feed, logger });
  const publisher = createRealtimePublisher({ redis, prefix: env.REDIS_PREFIX, db, log: logger });
  new Gauge({
    name: 'atrium_realtime_subscribers',
    help: 'Open events.subscribe streams on this replica',
    registers: [registry],
    collect() {
      this.set(hub.subscriberCount());
    },
  });
  const delivered = new Counter({
    name: 'atrium_realtime_events_delivered_total',
    help: 'Realtime events written to SSE subscribers by this replica',
    registers: [registry],
  });
  return {
    kind: feed.kind,
    hub,
    publisher,
    revalidateMs: env.REALTIME_REVALIDATE_SECONDS * 1000,
    delivered,
    start: () => hub.start(),
    stop: () => hub.stop(),
  };
}
