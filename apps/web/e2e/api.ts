import { parseApiEnv } from '@atrium/api/env';
import { type RunningApi, startApi } from '@atrium/api/server';
import { testRedisUrl } from '@atrium/testkit';

/**
 * A Redis key prefix of one test file's own. Rate limits (sign-in failures per device and per address —
 * every browser test signs in from 127.0.0.1 —, verification resends) and the authorisation cache live
 * under it, so test files running together, or one after another, never share a counter.
 */
export function privateRedisPrefix(name: string): string {
  return `e2e:${name}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}:`;
}

/**
 * The real API on an ephemeral loopback port for browser tests: test database, the suite's Redis
 * (when there is one) under `redisPrefix`, quiet logs. `env` adds or overrides variables, e.g.
 * `MAIL_CATCHER_URL` for the dev Mailbox.
 */
export function startE2eApi(options: {
  databaseUrl: string;
  redisPrefix: string;
  env?: Record<string, string | undefined>;
}): Promise<RunningApi> {
  return startApi(
    parseApiEnv({
      NODE_ENV: 'test',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: testRedisUrl() ?? undefined,
      REDIS_PREFIX: options.redisPrefix,
      API_PORT: '0',
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: '5',
      ...options.env,
    }),
  );
}
