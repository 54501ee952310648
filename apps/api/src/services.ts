import { createDb, type Database, type DbHandle, migrateToLatest } from '@atrium/db';
import type { Session } from '@atrium/domain/access/session';
import { type ContentCache, createRedisContentCache, noContentCache } from '@atrium/domain/content/cache';
import { createSearchPort } from '@atrium/domain/discovery/index';
import { type QueueCatalogue, queueCatalogue } from '@atrium/domain/events/catalogue';
import type { IdentityDeps } from '@atrium/domain/identity/deps';
import { type ProviderConfig, providerConfigFromEnv } from '@atrium/domain/imports/media-provider';
import { configureNotificationKeysFromEnv } from '@atrium/domain/notifications/crypto';
import type { OpsQueuePort } from '@atrium/domain/ops/port';
import type { ObjectStorage } from '@atrium/domain/platform/object-storage';
import { createRedisClient, type Redis } from '@atrium/domain/platform/redis';
import type { Scanner } from '@atrium/domain/platform/scanner';
import { objectStorageFromConfig, scannerFromConfig } from '@atrium/domain/platform/storage-config';
import { advisory, createLogger, Gauge, type HealthCheck, type Logger } from '@atrium/observability';
import { type Kysely, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { createIdentityServices } from './auth/identity.ts';
import type { Credentials } from './context.ts';
import type { ApiEnv } from './env.ts';
import { type ApiMetrics, createApiMetrics } from './metrics.ts';
import { lazyOpsBoss } from './ops-boss.ts';
import { createRealtimeServices, type RealtimeServices } from './realtime/index.ts';
import { type ConcurrencySlots, createConcurrencySlots } from './transport.ts';

/** Long-lived dependencies of the API process, built once and shared by every request. */
export interface Services {
  env: ApiEnv;
  db: Kysely<Database>;
  redis: Redis | null;
  logger: Logger;
  metrics: ApiMetrics;
  /** Turns request credentials into a Session, or null when there are none. */
  authenticate(credentials: Credentials): Promise<Session | null>;
  /** Identity's ports (clock, rate limiter, authorisation cache, token signer, limits). */
  identity: IdentityDeps;
  healthChecks: Record<string, HealthCheck>;
  /** The Ops console's ports (SPEC §8, docs/ops.md). */
  ops: OpsServices;
  adapters: AdapterInfo;
  /** Realtime (SPEC §2, docs/realtime.md): the SSE fan-out hub and a publisher. */
  realtime: RealtimeServices;
  /** Open event streams per user on this replica (at most REALTIME_MAX_STREAMS_PER_USER). */
  eventStreams: ConcurrencySlots;
  /** Expensive procedures running per caller and per org on this replica (trpc.ts `heavy`). */
  heavyCalls: ConcurrencySlots;
  /**
   * Where assets and files live (SPEC §0, §5; docs/storage.md). A local storage is also served at
   * `/objects`. S3 when S3_BUCKET is set, else the local adapter; absent in production when the local
   * adapter has no signing key (procedures that need it then answer 503).
   */
  objectStorage?: ObjectStorage;
  /** Content, discovery and imports (SPEC §4, docs/content.md). */
  content: ContentServices;
  /** Scans uploaded files (docs/files.md): ClamAV when CLAMAV_HOST is set, else `none`. */
  scanner: Scanner;
  close(): Promise<void>;
}

export interface ContentServices {
  /** `content:{id}` / `media:{contentId}` cache-aside on Redis; none without Redis. */
  cache: ContentCache;
  search: ReturnType<typeof createSearchPort>;
  providers: ProviderConfig;
}

export interface OpsServices {
  /**
   * pg-boss, started without workers on the first call (ops-boss.ts): the API reads queues and acts on
   * jobs, it runs none.
   */
  boss(): Promise<PgBoss>;
  queues: OpsQueuePort;
  catalogue: QueueCatalogue;
  /** Base URLs of the other processes' ops servers, probed by `ops.health`. */
  remotes: { worker: string | undefined; scheduler: string | undefined };
}

export interface AdapterInfo {
  database: { kind: 'postgres'; source: ApiEnv['DATABASE_SOURCE'] };
  redis: { kind: 'redis' | 'in-process' };
  realtime: { kind: 'redis' | 'postgres' };
  search: { kind: 'postgres' | 'meilisearch' };
  /** Object storage (`off`: production without a signing key or S3) and the file scanner. */
  objectStorage: { kind: 'local' | 's3' | 'off' };
  scanner: { kind: 'none' | 'clamav' };
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
  // SPEC §8: AIMS per org, summarised (counts only, never an org's name); the probe's last verdicts.
  // Advisory: one tenant's AIMS being down (or pointed at a dead host) must not make every API
  // replica unready and pull the API out of rotation for all tenants.
  healthChecks.aims = advisory(async () => {
    const { aimsHealthSummary } = await import('@atrium/domain/workplace/health');
    const summary = await aimsHealthSummary(handle.db);
    if (summary.down > 0)
      throw new Error(`AIMS down for ${summary.down} of ${summary.connected} connected orgs`);
    return summary;
  });

  // Notifications are sealed and opened with the process-wide keyring (docs/notifications.md).
  configureNotificationKeysFromEnv(env, logger.child({ module: 'notifications' }));
  const identity = createIdentityServices({ env, db: handle.db, redis, logger });
  await identity.start();

  // Started by the first Ops console request, not here (ops-boss.ts).
  const opsBoss = lazyOpsBoss({ connectionString: env.DATABASE_URL, catalogue: queueCatalogue, logger });

  const storageLog = logger.child({ module: 'objects' });
  const objectStorage =
    objectStorageFromConfig(
      {
        ...env,
        OBJECT_STORAGE_PUBLIC_URL:
          env.OBJECT_STORAGE_PUBLIC_URL ?? `http://${env.API_HOST}:${env.API_PORT}/objects`,
      },
      storageLog,
    ) ?? undefined;
  const scanner = scannerFromConfig(env, storageLog);

  const metrics = createApiMetrics();
  const content = createContentServices(env, handle.db, redis, logger);
  registerContentCacheMetrics(metrics, content.cache);
  if (content.search.engine === 'meilisearch') {
    // A wrong MEILI_URL or key fails the start, not the first search (settings are idempotent).
    await content.search.ensureSettings();
    healthChecks.meilisearch = () => content.search.health();
  }
  const realtime = createRealtimeServices({ env, db: handle.db, redis, logger, registry: metrics.registry });
  await realtime.start();

  return {
    env,
    db: handle.db,
    redis,
    logger,
    metrics,
    authenticate: identity.authenticate,
    identity: identity.deps,
    healthChecks,
    ops: {
      boss: opsBoss.boss,
      queues: opsBoss.queues,
      catalogue: queueCatalogue,
      remotes: { worker: env.WORKER_OPS_URL, scheduler: env.SCHEDULER_OPS_URL },
    },
    adapters: {
      database: { kind: 'postgres', source: env.DATABASE_SOURCE },
      redis: { kind: redis ? 'redis' : 'in-process' },
      realtime: { kind: realtime.kind },
      search: { kind: env.MEILI_URL ? 'meilisearch' : 'postgres' },
      objectStorage: { kind: objectStorage?.kind ?? 'off' },
      scanner: { kind: scanner.engine },
    },
    realtime,
    content,
    ...(objectStorage ? { objectStorage } : {}),
    scanner,
    eventStreams: createConcurrencySlots(),
    heavyCalls: createConcurrencySlots(),
    async close() {
      await realtime.stop();
      redis?.disconnect();
      await opsBoss.stop();
      await objectStorage?.close();
      await handle.destroy();
    },
  };
}

function createContentServices(
  env: ApiEnv,
  db: Kysely<Database>,
  redis: Redis | null,
  logger: Logger,
): ContentServices {
  return {
    cache: redis
      ? createRedisContentCache(redis, {
          prefix: env.REDIS_PREFIX,
          ttlSeconds: env.CONTENT_CACHE_TTL_SECONDS,
          log: logger.child({ component: 'content-cache' }),
        })
      : noContentCache,
    search: createSearchPort({ db, env }),
    providers: providerConfigFromEnv(env),
  };
}

/** The content cache's lookups and hit ratio on /metrics (counted in process, read at scrape time). */
function registerContentCacheMetrics(metrics: ApiMetrics, cache: ContentCache): void {
  new Gauge({
    name: 'atrium_content_cache_lookups',
    help: 'Content cache slot lookups since the process started, by outcome (hit, miss, error)',
    labelNames: ['outcome'],
    registers: [metrics.registry],
    collect() {
      this.set({ outcome: 'hit' }, cache.stats.hits);
      this.set({ outcome: 'miss' }, cache.stats.misses);
      this.set({ outcome: 'error' }, cache.stats.errors);
    },
  });
  new Gauge({
    name: 'atrium_content_cache_hit_ratio',
    help: 'Share of content cache slot lookups answered from Redis since the process started',
    registers: [metrics.registry],
    collect() {
      const lookups = cache.stats.hits + cache.stats.misses;
      this.set(lookups === 0 ? 0 : cache.stats.hits / lookups);
    },
  });
}
