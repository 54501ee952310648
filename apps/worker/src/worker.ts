import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createDb, migrateToLatest } from '@atrium/db';
import { type AtriumQueueCatalogue, type QueueCatalogue, queueCatalogue } from '@atrium/domain';
import type { AimsClientOptions } from '@atrium/domain/aims/types';
import { configureNotificationKeysFromEnv } from '@atrium/domain/notifications/crypto';
import { createOpsAnnouncer, type OpsAnnouncer } from '@atrium/domain/ops/live';
import { type Heartbeat, startHeartbeat } from '@atrium/domain/ops/processes';
import { createRedisClient } from '@atrium/domain/platform/redis';
import { createAimsClients } from '@atrium/domain/workplace/connection';
import { createBoss, DEFAULT_BOSS_SCHEMA, ensureQueues } from '@atrium/jobs';
import {
  Counter,
  createLogger,
  createMetricsRegistry,
  Gauge,
  type HealthCheck,
  Histogram,
  LATENCY_BUCKETS,
  type Logger,
  type OpsServer,
  type Registry,
  startOpsServer,
} from '@atrium/observability';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { WorkerEnv } from './env.ts';
import type { QueueHandlers } from './job-runner.ts';
import { followQueuePauses, type QueuePauseFollower } from './queue-pause.ts';
import { type QueueSampler, startQueueSampler } from './queue-sampler.ts';
import { createQueueWorkers, queueHandlers } from './queues.ts';
import {
  createOutboxRelay,
  createRelayMetrics,
  type OutboxRelay,
  outboxBacklog,
  type RelayHooks,
} from './relay.ts';
import { createWorkerServices, type WorkerServices } from './services.ts';

export interface RunningWorker {
  opsUrl: string;
  logger: Logger;
  boss: PgBoss;
  relay: OutboxRelay;
  /** Follows queue pauses (SPEC §8): a paused queue is not fetched. */
  pauses: QueuePauseFollower;
  /** Samples queue depth for the Ops charts. */
  sampler: QueueSampler;
  registry: Registry;
  services: WorkerServices;
  /** This process's row in the Ops console's process list (docs/ops.md "Processes"). */
  heartbeat: Heartbeat;
  /** Live Ops updates: coalesced `ops.changed` hints. */
  opsLive: OpsAnnouncer;
  /**
   * Graceful shutdown: stop the relay (its batch in flight commits or rolls back), stop fetching,
   * let jobs in flight finish (up to WORKER_SHUTDOWN_TIMEOUT_MS; pg-boss fails the rest back to
   * their queue for another worker), then close every connection.
   */
  stop(): Promise<void>;
}

export interface StartWorkerOptions<C extends QueueCatalogue> {
  logger?: Logger;
  /** The queues to run and their handlers; the application's own catalogue by default. */
  queues?: { catalogue: C; handlers: QueueHandlers<C> };
  /** Fault injection for tests (see RelayHooks). */
  relayHooks?: RelayHooks;
  /** AIMS client settings (tests: fast retries); the defaults are docs/aims.md's. */
  aims?: Pick<AimsClientOptions, 'retry' | 'requestTimeoutMs'>;
}

/**
 * The worker process: migrations (outside production), pg-boss with the catalogue's queues, the
 * outbox relay, one pg-boss worker per queue, and the ops server (/health/live, /health/ready,
 * /metrics). Runs in-process for tests; `main.ts` runs it with the environment.
 */
export async function startWorker<C extends QueueCatalogue = AtriumQueueCatalogue>(
  env: WorkerEnv,
  options: StartWorkerOptions<C> = {},
): Promise<RunningWorker> {
  const logger = options.logger ?? createLogger({ name: 'worker', level: env.LOG_LEVEL });
  const { catalogue, handlers } =
    options.queues ??
    // The default pairs the application's catalogue with its handlers; their agreement is checked
    // where queueHandlers is declared.
    ({ catalogue: queueCatalogue, handlers: queueHandlers } as unknown as {
      catalogue: C;
      handlers: QueueHandlers<C>;
    });

  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
    }
    cleanups.length = 0;
  };

  try {
    const handle = createDb({
      connectionString: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      applicationName: 'atrium-worker',
    });
    cleanups.push(() => handle.destroy());
    if (env.NODE_ENV !== 'production') await migrateToLatest(handle.db);

    const boss = createBoss({
      connectionString: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      applicationName: 'atrium-worker-boss',
      onError: (error) => logger.error({ err: error }, 'pg-boss error'),
      onWarning: (warning) => logger.warn({ data: warning.data }, `pg-boss: ${warning.message}`),
    });
    await boss.start();
    cleanups.push(() => boss.stop({ graceful: true, close: true, timeout: env.WORKER_SHUTDOWN_TIMEOUT_MS }));
    await ensureQueues(boss, catalogue);

    const redis = env.REDIS_URL
      ? createRedisClient(env.REDIS_URL, { connectionName: 'atrium-worker' })
      : null;
    if (redis) {
      cleanups.push(async () => {
        redis.disconnect();
      });
    }

    // Notifications are sealed and opened with the process-wide keyring (docs/notifications.md).
    configureNotificationKeysFromEnv(env, logger.child({ component: 'notifications' }));
    const services = createWorkerServices(env, logger, { db: handle.db, redis, boss });
    // Meilisearch: a wrong MEILI_URL or key fails the start, not the first index job.
    if (services.search.engine === 'meilisearch') {
      await services.search.ensureSettings();
    }
    cleanups.push(() => services.close());

    const registry = createMetricsRegistry('worker');
    const jobDuration = new Histogram({
      name: 'atrium_job_duration_seconds',
      help: 'Job handler duration by queue and outcome (completed, retry, dead_letter, invalid)',
      labelNames: ['queue', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    registerScrapeGauges(registry, { boss, db: handle.db, catalogue, logger });
    // AIMS call outcomes (SPEC §8 metrics), from the clients' onCall hook (docs/aims.md).
    const aimsCalls = new Counter({
      name: 'atrium_aims_calls_total',
      help: 'HTTP exchanges with AIMS by endpoint and outcome (retries included)',
      labelNames: ['endpoint', 'outcome'],
      registers: [registry],
    });
    const aimsCallDuration = new Histogram({
      name: 'atrium_aims_call_duration_seconds',
      help: 'Duration of one HTTP exchange with AIMS by endpoint and outcome',
      labelNames: ['endpoint', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    services.aims = createAimsClients({
      ...options.aims,
      log: logger.child({ component: 'aims' }),
      onCall: ({ endpoint, outcome, ms }) => {
        aimsCalls.inc({ endpoint, outcome });
        aimsCallDuration.observe({ endpoint, outcome }, ms / 1000);
      },
    });
    registry.registerMetric(services.indexLag);

    const relay = createOutboxRelay({
      db: handle.db,
      boss,
      catalogue,
      listenConnectionString: env.DATABASE_URL,
      batchSize: env.RELAY_BATCH_SIZE,
      pollIntervalMs: env.RELAY_POLL_MS,
      logger: logger.child({ component: 'outbox-relay' }),
      metrics: createRelayMetrics(registry),
      ...(options.relayHooks ? { hooks: options.relayHooks } : {}),
    });
    await relay.start();
    cleanups.push(() => relay.stop());

    // Open Ops pages refetch when jobs settle (one coalesced hint a second; docs/ops.md).
    const opsLive = createOpsAnnouncer({
      db: handle.db,
      realtime: services.realtime,
      log: logger.child({ component: 'ops-live' }),
    });
    cleanups.push(() => opsLive.stop());
    const workers = createQueueWorkers(boss, {
      catalogue,
      handlers,
      db: handle.db,
      logger,
      services,
      duration: jobDuration,
      concurrency: env.WORKER_CONCURRENCY,
      pollSeconds: env.WORKER_POLL_SECONDS,
      onSettled: (_queue, orgId) => opsLive.touch(orgId, 'jobs'),
    });
    // Starts every queue that is not paused, then follows pauses and resumes.
    const pauses = await followQueuePauses({
      db: handle.db,
      workers,
      listenConnectionString: env.DATABASE_URL,
      pollMs: env.WORKER_CONTROLS_POLL_MS,
      logger: logger.child({ component: 'queue-pause' }),
    });
    cleanups.push(() => pauses.stop());
    const sampler = startQueueSampler({
      db: handle.db,
      boss,
      catalogue,
      intervalSeconds: env.OPS_SAMPLE_SECONDS,
      logger: logger.child({ component: 'queue-sampler' }),
    });
    cleanups.push(() => sampler.stop());

    let draining = false;
    const checks: Record<string, HealthCheck> = {
      db: () => sql`SELECT 1`.execute(handle.db),
      // Through pg-boss's own pool: proves the pool the workers fetch with, and the schema.
      pgBoss: () => boss.getDb().executeSql(`SELECT version FROM ${DEFAULT_BOSS_SCHEMA}.version`),
    };
    if (redis) checks.redis = () => redis.ping();
    if (services.search.engine === 'meilisearch') checks.meilisearch = () => services.search.health();
    const ops: OpsServer = await startOpsServer({
      port: env.WORKER_OPS_PORT,
      host: env.WORKER_OPS_HOST,
      registry,
      checks,
      liveDetail: () => ({ draining, relayListening: relay.listening() }),
    });
    cleanups.push(() => ops.close());
    const heartbeat = await startHeartbeat({
      db: handle.db,
      beatSeconds: env.OPS_HEARTBEAT_SECONDS,
      identity: {
        kind: 'worker',
        host: hostname(),
        pid: process.pid,
        version: WORKER_VERSION,
        queues: [...new Set(Object.values(catalogue).map((queue) => queue.name))].map((queue) => ({
          queue,
          concurrency: env.WORKER_CONCURRENCY,
        })),
        opsUrl: ops.url,
      },
      onError: (error) => logger.warn({ err: error }, 'heartbeat failed'),
    });
    cleanups.push(() => heartbeat.stop());
    opsLive.touch(null, 'processes');
    logger.info(
      { opsUrl: ops.url, processId: heartbeat.id, queues: Object.keys(catalogue) },
      'worker started',
    );

    let stopping: Promise<void> | null = null;
    const step = (name: string, action: () => Promise<unknown>) =>
      action().catch((error: unknown) => logger.error({ err: error, step: name }, 'shutdown step failed'));
    return {
      opsUrl: ops.url,
      logger,
      boss,
      relay,
      pauses,
      sampler,
      registry,
      services,
      heartbeat,
      opsLive,
      stop() {
        stopping ??= (async () => {
          draining = true;
          logger.info('worker draining');
          await step('relay', () => relay.stop());
          await step('queue pauses', () => pauses.stop());
          await step('queue sampler', () => sampler.stop());
          await step('pg-boss', () =>
            boss.stop({ graceful: true, close: true, timeout: env.WORKER_SHUTDOWN_TIMEOUT_MS }),
          );
          // Health and metrics stay up while jobs drain.
          await step('ops server', () => ops.close());
          await step('heartbeat', () => heartbeat.stop());
          opsLive.touch(null, 'processes');
          await step('live ops updates', () => opsLive.stop());
          if (redis) redis.disconnect();
          await step('mailer', () => services.close());
          await step('database', () => handle.destroy());
          cleanups.length = 0;
          logger.info('worker stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** Shown in the Ops console's process list. */
const WORKER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Gauges read at scrape time: queue depth from pg-boss, outbox backlog from the outbox table. */
function registerScrapeGauges(
  registry: Registry,
  deps: { boss: PgBoss; db: Parameters<typeof outboxBacklog>[0]; catalogue: QueueCatalogue; logger: Logger },
): void {
  const queueNames = [
    ...new Set(Object.values(deps.catalogue).flatMap((queue) => [queue.name, queue.deadLetter])),
  ];
  const depth: Gauge<'queue' | 'state'> = new Gauge({
    name: 'atrium_queue_depth',
    help: 'Jobs per queue and state (pg-boss counts, refreshed by its monitor every 30 s)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      try {
        const queues = await deps.boss.getQueues(queueNames);
        depth.reset();
        for (const queue of queues) {
          depth.set({ queue: queue.name, state: 'ready' }, queue.readyCount);
          depth.set({ queue: queue.name, state: 'deferred' }, queue.deferredCount);
          depth.set({ queue: queue.name, state: 'active' }, queue.activeCount);
          depth.set({ queue: queue.name, state: 'failed' }, queue.failedCount);
        }
      } catch (error) {
        deps.logger.warn({ err: error }, 'could not read queue depth for /metrics');
      }
    },
  });

  let backlog: Promise<Awaited<ReturnType<typeof outboxBacklog>> | null> | null = null;
  // The three outbox gauges share one query per scrape.
  const readBacklog = () => {
    backlog ??= outboxBacklog(deps.db)
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'could not read the outbox backlog for /metrics');
        return null;
      })
      .finally(() => {
        setImmediate(() => {
          backlog = null;
        });
      });
    return backlog;
  };
  const lag: Gauge = new Gauge({
    name: 'atrium_outbox_lag_seconds',
    help: 'Age of the oldest unpublished outbox event (0 when none)',
    registers: [registry],
    async collect() {
      const value = await readBacklog();
      if (value) lag.set(value.lagSeconds);
    },
  });
  const pending: Gauge = new Gauge({
    name: 'atrium_outbox_pending_events',
    help: 'Unpublished outbox events',
    registers: [registry],
    async collect() {
      const value = await readBacklog();
      if (value) pending.set(value.pending);
    },
  });
  const failing: Gauge = new Gauge({
    name: 'atrium_outbox_failing_events',
    help: 'Unpublished outbox events whose fan-out has failed at least once',
    registers: [registry],
    async collect() {
      const value = await readBacklog();
      if (value) failing.set(value.failing);
    },
  });
}
