import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createDb, createInterruptibleDb, createPool, migrateToLatest } from '@atrium/db';
import { configureNotificationKeysFromEnv } from '@atrium/domain/notifications/crypto';
import { startHeartbeat } from '@atrium/domain/ops/processes';
import { type Clock, systemClock } from '@atrium/domain/platform/clock';
import { createRedisClient } from '@atrium/domain/platform/redis';
import { objectStorageFromConfig } from '@atrium/domain/platform/storage-config';
import { createRealtimePublisher, type RealtimePublisherAdapter } from '@atrium/domain/realtime/publishers';
import {
  builtInScheduleHandlers,
  createScheduleHandlerRegistry,
  ensureBuiltInSchedules,
  type ScheduleHandlerDefinition,
  type ScheduleHandlerFn,
} from '@atrium/domain/scheduling/index';
import {
  createLogger,
  createMetricsRegistry,
  type HealthCheck,
  type Logger,
  type Registry,
  startOpsServer,
} from '@atrium/observability';
import { sql } from 'kysely';
import type { SchedulerEnv } from './env.ts';
import { createSchedulerMetrics } from './metrics.ts';
import { builtInSchedules } from './schedules.ts';
import { createTickLoop } from './tick.ts';

export interface RunningScheduler {
  nodeId: string;
  opsUrl: string;
  logger: Logger;
  registry: Registry;
  /**
   * Realtime events to the API's SSE subscribers (SPEC §2, docs/realtime.md): Redis pub/sub when
   * REDIS_URL is set, else PostgreSQL NOTIFY.
   */
  realtime: RealtimePublisherAdapter;
  /** One tick now (tests drive the loop with it alongside its own timer). */
  tick(): Promise<void>;
  /** Resolves once this replica has no run in progress. */
  idle(): Promise<void>;
  /**
   * Graceful stop: no more ticks; runs in progress get SCHEDULER_SHUTDOWN_GRACE_MS to finish, then
   * are aborted (recorded failed, reason `shutdown`); leases released; connections closed.
   */
  stop(): Promise<void>;
}

export interface StartSchedulerOptions {
  logger?: Logger;
  /** Handlers beyond the built-ins, by name (tests; future modules register theirs in the domain). */
  handlers?: Record<string, ScheduleHandlerFn | Omit<ScheduleHandlerDefinition, 'name'>>;
  /** The time every schedule decision reads; tests move it to simulate downtime. */
  clock?: Clock;
  /** Upsert the built-in schedules on start (default true). */
  builtIns?: boolean;
  /** Retry jitter source (default Math.random). */
  random?: () => number;
}

/** Shown in the Ops console's process list. */
const SCHEDULER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The scheduler process (SPEC §8): migrations outside production, the built-in schedules, the tick
 * loop, and the ops server (/health/live, /health/ready, /metrics). Any number of replicas may run:
 * each occurrence attempt runs on exactly one of them.
 */
export async function startScheduler(
  env: SchedulerEnv,
  options: StartSchedulerOptions = {},
): Promise<RunningScheduler> {
  const logger = options.logger ?? createLogger({ name: 'scheduler', level: env.LOG_LEVEL });
  // The AIMS health probe opens the orgs' sealed AIMS passwords (docs/workplace.md).
  configureNotificationKeysFromEnv(env, logger.child({ component: 'notifications' }));
  const nodeId = env.SCHEDULER_NODE_ID ?? `${hostname()}:${process.pid}`;
  const clock = options.clock ?? systemClock;
  const handle = createDb({
    connectionString: env.DATABASE_URL,
    poolSize: env.DATABASE_POOL_SIZE,
    applicationName: 'atrium-scheduler',
  });
  // Handlers get connections of their own: however many statements they run or leave blocked, the
  // pool above stays free for claims, lease heartbeats, outcome writes and readiness.
  const handlerPool = createPool({
    connectionString: env.DATABASE_URL,
    poolSize: env.SCHEDULER_HANDLER_POOL_SIZE ?? env.SCHEDULER_CONCURRENCY,
    applicationName: 'atrium-scheduler-handlers',
  });
  const redis = env.REDIS_URL
    ? createRedisClient(env.REDIS_URL, { connectionName: 'atrium-scheduler' })
    : null;
  // Deleting is all the scheduler does with objects (draft expiry): no URL is signed, so the public
  // URL is unused. The S3 client is made on first use.
  const objectStorage = objectStorageFromConfig(
    { ...env, OBJECT_STORAGE_PUBLIC_URL: 'http://127.0.0.1/objects' },
    logger.child({ component: 'objects' }),
  );
  const closeConnections = async () => {
    redis?.disconnect();
    await objectStorage?.close();
    await Promise.all([handle.destroy(), handlerPool.end()]);
  };

  try {
    if (env.NODE_ENV !== 'production') await migrateToLatest(handle.db);

    const handlers = createScheduleHandlerRegistry([
      ...builtInScheduleHandlers({ objectStorage }),
      ...Object.entries(options.handlers ?? {}).map(([name, handler]) =>
        typeof handler === 'function' ? { name, run: handler } : { ...handler, name },
      ),
    ]);
    if (options.builtIns !== false) {
      await ensureBuiltInSchedules({ db: handle.db, clock }, builtInSchedules(env));
    }

    const realtime = createRealtimePublisher({
      redis,
      prefix: env.REDIS_PREFIX,
      db: handle.db,
      log: logger.child({ component: 'realtime' }),
    });

    const registry = createMetricsRegistry('scheduler');
    let running = () => 0;
    const metrics = createSchedulerMetrics(registry, {
      leasesHeld: () => running(),
      pools: { control: handle.pool, handlers: handlerPool },
    });
    const loop = createTickLoop({
      engine: {
        db: handle.db,
        clock,
        nodeId,
        logger: logger.child({ component: 'tick', nodeId }),
        leaseTtlMs: env.SCHEDULER_LEASE_TTL_MS,
        misfireGraceMs: env.SCHEDULER_MISFIRE_GRACE_MS,
        ...(options.random ? { random: options.random } : {}),
      },
      handlers,
      openRunDatabase: (limits) =>
        createInterruptibleDb({ pool: handlerPool, control: handle.db, ...limits }),
      realtime,
      metrics,
      tickMs: env.SCHEDULER_TICK_MS,
      concurrency: env.SCHEDULER_CONCURRENCY,
    });
    running = loop.running;

    const checks: Record<string, HealthCheck> = { db: () => sql`SELECT 1`.execute(handle.db) };
    if (redis) checks.redis = () => redis.ping();
    const ops = await startOpsServer({
      port: env.SCHEDULER_OPS_PORT,
      host: env.SCHEDULER_OPS_HOST,
      registry,
      checks,
      liveDetail: () => ({ nodeId, running: loop.running() }),
    });
    const heartbeat = await startHeartbeat({
      db: handle.db,
      beatSeconds: env.OPS_HEARTBEAT_SECONDS,
      identity: {
        kind: 'scheduler',
        host: hostname(),
        pid: process.pid,
        version: SCHEDULER_VERSION,
        queues: [],
        opsUrl: ops.url,
      },
      onError: (error) => logger.warn({ err: error }, 'heartbeat failed'),
    }).catch(async (error: unknown) => {
      await ops.close();
      throw error;
    });
    loop.start();
    logger.info(
      { nodeId, opsUrl: ops.url, tickMs: env.SCHEDULER_TICK_MS, handlers: handlers.names() },
      'scheduler started',
    );

    let stopping: Promise<void> | null = null;
    return {
      nodeId,
      opsUrl: ops.url,
      logger,
      registry,
      realtime,
      tick: () => loop.tick(),
      idle: () => loop.idle(),
      stop() {
        stopping ??= (async () => {
          await loop.stop({ graceMs: env.SCHEDULER_SHUTDOWN_GRACE_MS });
          await heartbeat
            .stop()
            .catch((error: unknown) => logger.warn({ err: error }, 'heartbeat stop failed'));
          await ops.close();
          await closeConnections();
          logger.info({ nodeId }, 'scheduler stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await closeConnections();
    throw error;
  }
}
