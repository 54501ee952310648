import { hostname } from 'node:os';
import { createDb, migrateToLatest } from '@atrium/db';
import { createRedisClient } from '@atrium/domain/platform/redis';
import { createLogger, createMetricsRegistry, type HealthCheck, type Logger, startOpsServer } from '@atrium/observability';
import { sql } from 'kysely';
import type { SchedulerEnv } from './env.ts';

export interface RunningScheduler {
  nodeId: string;
  opsUrl: string;
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * The scheduler process: connects, serves /health and /metrics on its own port, and stops cleanly.
 * Schedules, leases and runs are registered here as the scheduling module grows (SPEC §8).
 */
export async function startScheduler(env: SchedulerEnv, options: { logger?: Logger } = {}): Promise<RunningScheduler> {
  const logger = options.logger ?? createLogger({ name: 'scheduler', level: env.LOG_LEVEL });
  const nodeId = env.SCHEDULER_NODE_ID ?? `${hostname()}:${process.pid}`;
  const handle = createDb({ connectionString: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, applicationName: 'atrium-scheduler' });
  if (env.NODE_ENV !== 'production') await migrateToLatest(handle.db);
  const redis = env.REDIS_URL ? createRedisClient(env.REDIS_URL, { connectionName: 'atrium-scheduler' }) : null;

  const checks: Record<string, HealthCheck> = { db: () => sql`SELECT 1`.execute(handle.db) };
  if (redis) checks.redis = () => redis.ping();
  const registry = createMetricsRegistry('scheduler');
  const ops = await startOpsServer({ port: env.SCHEDULER_OPS_PORT, host: env.SCHEDULER_OPS_HOST, registry, checks, liveDetail: () => ({ nodeId }) });
  logger.info({ nodeId, opsUrl: ops.url }, 'scheduler started');

  let stopped = false;
  return {
    nodeId,
    opsUrl: ops.url,
    logger,
    async stop() {
      if (stopped) return;
      stopped = true;
      await ops.close();
      redis?.disconnect();
      await handle.destroy();
      logger.info({ nodeId }, 'scheduler stopped');
    },
  };
}
