import { createDb, type Database, type DbHandle, migrateToLatest } from '@atrium/db';
import type { Session } from '@atrium/domain/access/session';
import { createRedisClient, type Redis } from '@atrium/domain/platform/redis';
import { createLogger, type HealthCheck, type Logger } from '@atrium/observability';
import { type Kysely, sql } from 'kysely';
import type { Credentials } from './context.ts';
import type { ApiEnv } from './env.ts';
import { type ApiMetrics, createApiMetrics } from './metrics.ts';

/** Long-lived dependencies of the API process, built once and shared by every request. */
export interface Services {
  env: ApiEnv;
  db: Kysely<Database>;
  redis: Redis | null;
  logger: Logger;
  metrics: ApiMetrics;
  /** Turns request credentials into a Session, or null when there are none. */
  authenticate(credentials: Credentials): Promise<Session | null>;
  healthChecks: Record<string, HealthCheck>;
  adapters: AdapterInfo;
  close(): Promise<void>;
}

export interface AdapterInfo {
  database: { kind: 'postgres'; source: ApiEnv['DATABASE_SOURCE'] };
  redis: { kind: 'redis' | 'in-process' };
  search: { kind: 'postgres' | 'meilisearch' };
}

export async function createServices(env: ApiEnv, options: { logger?: Logger } = {}): Promise<Services> {
  const logger = options.logger ?? createLogger({ name: 'api', level: env.LOG_LEVEL });
  const handle: DbHandle = createDb({
    connectionString: env.DATABASE_URL,
    poolSize: env.DATABASE_POOL_SIZE,
    applicationName: 'atrium-api',
  });
  if (env.NODE_ENV !== 'production') await migrateToLatest(handle.db);
  const redis = env.REDIS_URL ? createRedisClient(env.REDIS_URL, { connectionName: 'atrium-api' }) : null;
  if (!redis)
    logger.info('REDIS_URL not set: using in-process fallbacks (no shared cache, per-process rate limits)');

  const healthChecks: Record<string, HealthCheck> = {
    db: () => sql`SELECT 1`.execute(handle.db),
    // The API enqueues nothing itself (the outbox relay does), but Ops reads and acts on pg-boss
    // queues, so the queue schema must be installed and reachable.
    pgBoss: () => sql`SELECT version FROM pgboss.version`.execute(handle.db),
  };
  if (redis) healthChecks.redis = () => redis.ping();

  return {
    env,
    db: handle.db,
    redis,
    logger,
    metrics: createApiMetrics(),
    authenticate: async () => null,
    healthChecks,
    adapters: {
      database: { kind: 'postgres', source: env.DATABASE_SOURCE },
      redis: { kind: redis ? 'redis' : 'in-process' },
      search: { kind: env.MEILI_URL ? 'meilisearch' : 'postgres' },
    },
    async close() {
      redis?.disconnect();
      await handle.destroy();
    },
  };
}
