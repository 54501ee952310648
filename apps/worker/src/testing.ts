import { defineEventQueue } from '@atrium/domain';
import { NotificationRequested } from '@atrium/domain/notifications/events';
import { parseWorkerEnv, type WorkerEnv } from './env.ts';

/*
 * `@atrium/worker/testing`: what tests of other packages need to run a real worker in-process. Not
 * part of the worker's own entry point, so nothing in production can reach for a test setting.
 */

/**
 * A worker configuration for in-process tests (this package's, the API's, the browser tests'):
 * ephemeral ops port, fast polls, quiet logs, no Redis. `overrides` adds or replaces variables,
 * e.g. `SMTP_URL` for a test's SMTP receiver or `REDIS_URL` + `REDIS_PREFIX` for realtime.
 */
export function testWorkerEnv(
  databaseUrl: string,
  overrides: Record<string, string | undefined> = {},
): WorkerEnv {
  return parseWorkerEnv({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '6',
    LOG_LEVEL: 'silent',
    WORKER_OPS_PORT: '0',
    WORKER_POLL_SECONDS: '0.5',
    WORKER_CONCURRENCY: '5',
    WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
    RELAY_POLL_MS: '200',
    WORKER_CONTROLS_POLL_MS: '500',
    ...overrides,
  });
}

/**
 * `notifications.dispatch` as tests run it: same name and events, a fast retry policy (2 retries,
 * 1 s apart), so exhausting its retries takes seconds. Pair it with
 * `createNotificationsDispatchHandler(fastNotificationsDispatch)`.
 */
export const fastNotificationsDispatch = defineEventQueue({
  name: 'notifications.dispatch',
  events: [NotificationRequested],
  retryLimit: 2,
  retryDelaySeconds: 1,
  retryBackoff: false,
  retryDelayMaxSeconds: null,
  expireInSeconds: 60,
});
