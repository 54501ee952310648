import type { Database } from '@atrium/db';
import { type AuthorizationCache, createAuthorizationCache } from '@atrium/domain/access/authorization-cache';
import { createSearchPort } from '@atrium/domain/discovery/index';
import { type ProviderConfig, providerConfigFromEnv } from '@atrium/domain/imports/media-provider';
import type { Mailer } from '@atrium/domain/platform/mailer';
import type { Redis } from '@atrium/domain/platform/redis';
import { createSmtpMailer } from '@atrium/domain/platform/smtp-mailer';
import { createRealtimePublisher, type RealtimePublisherAdapter } from '@atrium/domain/realtime/publishers';
import type { AimsClients } from '@atrium/domain/workplace/connection';
import { Histogram, type Logger } from '@atrium/observability';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { WorkerEnv } from './env.ts';

/**
 * What job handlers use to reach beyond the database, built once per worker process from its
 * configuration. Handlers receive it in their context (job-runner.ts) and pass the parts a domain
 * function needs; nothing in a handler reads the environment.
 */
export interface WorkerServices {
  mailer: Mailer;
  /** The web app's origin, for links in emails. */
  webBaseUrl: string;
  /**
   * Realtime events to the API's SSE subscribers (SPEC §2, docs/realtime.md): Redis pub/sub when
   * REDIS_URL is set, else PostgreSQL NOTIFY — the API listens on the same one.
   */
  realtime: RealtimePublisherAdapter;
  /**
   * The authorisation cache the API reads (same Redis and REDIS_PREFIX; none without Redis): consumers
   * that change a user's roles refresh it after their commit.
   */
  authzCache: AuthorizationCache;
  /**
   * Sends a job to a queue to start at `startAfter` (pg-boss); when a job with the same `id` exists
   * it is a no-op. Scheduled notifications use it (handlers/notifications.ts).
   */
  /** The search index the `search.index` and `search.reindex` jobs write (docs/content.md). */
  search: ReturnType<typeof createSearchPort>;
  /**
   * Seconds from a content's commit to its change being searchable (or removed), by outcome; the
   * worker registers it on /metrics.
   */
  indexLag: Histogram<'outcome'>;
  /** Media providers' endpoints for bulk imports (docs/imports.md). */
  providers: ProviderConfig;
  sendLater?(queue: string, data: object, options: { id: string; startAfter: Date }): Promise<void>;
  /** AIMS clients, one per org's connection (docs/workplace.md), counted in the worker's metrics. */
  aims?: AimsClients;
}

export function createWorkerServices(
  env: WorkerEnv,
  logger: Logger,
  deps: { db: Kysely<Database>; redis: Redis | null; boss?: PgBoss },
): WorkerServices & { close(): Promise<void> } {
  const mailer = createSmtpMailer({
    url: env.SMTP_URL,
    ...(env.MAIL_FROM ? { from: env.MAIL_FROM } : {}),
    log: logger.child({ component: 'smtp' }),
  });
  return {
    mailer,
    webBaseUrl: env.WEB_BASE_URL,
    realtime: createRealtimePublisher({
      redis: deps.redis,
      prefix: env.REDIS_PREFIX,
      db: deps.db,
      log: logger.child({ component: 'realtime' }),
    }),
    authzCache: createAuthorizationCache({
      redis: deps.redis,
      prefix: env.REDIS_PREFIX,
      log: logger.child({ component: 'authz-cache' }),
    }),
    search: createSearchPort({ db: deps.db, env }),
    providers: providerConfigFromEnv(env),
    indexLag: new Histogram({
      name: 'atrium_search_index_lag_seconds',
      help: 'Content commit → searchable (or removed from search), by outcome (upserted, removed, unchanged)',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [],
    }),
    ...(deps.boss ? { sendLater: sendLaterWith(deps.boss) } : {}),
    close: () => mailer.close(),
  };
}

function sendLaterWith(boss: PgBoss): NonNullable<WorkerServices['sendLater']> {
  return async (queue, data, options) => {
    // pg-boss inserts with ON CONFLICT DO NOTHING: a job with this id already queued stays as it is.
    await boss.send(queue, data, { id: options.id, startAfter: options.startAfter });
  };
}
