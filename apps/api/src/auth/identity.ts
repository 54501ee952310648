import type { Database } from '@atrium/db';
import { createAccessTokens } from '@atrium/domain/access/access-tokens';
import { authenticateAccessToken, refreshAuthorizationCaches } from '@atrium/domain/access/authorization';
import { createAuthorizationCache } from '@atrium/domain/access/authorization-cache';
import { syncBuiltInRoles } from '@atrium/domain/access/roles';
import type { Session } from '@atrium/domain/access/session';
import {
  DEFAULT_IDENTITY_CONFIG,
  type IdentityConfig,
  type IdentityDeps,
} from '@atrium/domain/identity/deps';
import { createDeviceCookies } from '@atrium/domain/identity/device-cookies';
import { systemClock } from '@atrium/domain/platform/clock';
import { dummyPasswordHash } from '@atrium/domain/platform/passwords';
import {
  createFailoverRateLimiter,
  createInProcessRateLimiter,
  createRedisRateLimiter,
  type RateLimiter,
} from '@atrium/domain/platform/rate-limiter';
import type { Redis } from '@atrium/domain/platform/redis';
import { randomToken } from '@atrium/domain/platform/tokens';
import type { Logger } from '@atrium/observability';
import type { Kysely } from 'kysely';
import type { Credentials } from '../context.ts';
import type { ApiEnv } from '../env.ts';

export interface IdentityServices {
  deps: IdentityDeps;
  /** `Services.authenticate`: a bearer token → Session (throws 401s), no token → null. */
  authenticate(credentials: Credentials): Promise<Session | null>;
  /** Start-up work: built-in roles in line with the code, and the dummy hash computed off the hot path. */
  start(): Promise<void>;
}

export function identityConfigFromEnv(env: ApiEnv): IdentityConfig {
  return {
    ...DEFAULT_IDENTITY_CONFIG,
    signInFailuresPerDevice: {
      limit: env.AUTH_SIGNIN_DEVICE_FAILURES,
      windowSeconds: env.AUTH_SIGNIN_FAILURE_WINDOW_SECONDS,
    },
    signInFailuresPerIp: {
      limit: env.AUTH_SIGNIN_IP_FAILURES,
      windowSeconds: env.AUTH_SIGNIN_IP_WINDOW_SECONDS,
    },
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_DAYS * 24 * 60 * 60,
    registerPerIp: { limit: env.AUTH_REGISTER_IP_LIMIT, windowSeconds: 60 * 60 },
    webBaseUrl: env.WEB_BASE_URL,
    emailQuotaPerHour: env.NOTIFICATIONS_EMAIL_QUOTA_PER_HOUR,
  };
}

/** Builds identity's ports from the API's env: Redis adapters when REDIS_URL is set, else in-process ones. */
export function createIdentityServices(input: {
  env: ApiEnv;
  db: Kysely<Database>;
  redis: Redis | null;
  logger: Logger;
}): IdentityServices {
  const { env, db, redis, logger } = input;
  const log = logger.child({ module: 'identity' });

  let secret = env.JWT_SECRET;
  if (!secret) {
    secret = randomToken(48);
    if (env.NODE_ENV === 'development') {
      log.warn({}, 'JWT_SECRET is unset: using a random secret for this process (access tokens end with it)');
    }
  }

  const inProcess = createInProcessRateLimiter();
  const rateLimiter: RateLimiter = redis
    ? createFailoverRateLimiter(createRedisRateLimiter(redis, { prefix: env.REDIS_PREFIX }), inProcess, log)
    : inProcess;
  const authzCache = createAuthorizationCache({
    redis,
    prefix: env.REDIS_PREFIX,
    ttlSeconds: env.AUTHZ_CACHE_TTL_SECONDS,
    log,
  });

  const deps: IdentityDeps = {
    db,
    clock: systemClock,
    rateLimiter,
    authzCache,
    accessTokens: createAccessTokens({ secret, ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS }),
    deviceCookies: createDeviceCookies({ secret, clock: systemClock }),
    config: identityConfigFromEnv(env),
    log,
  };

  return {
    deps,
    async authenticate(credentials) {
      if (!credentials.bearerToken) return null;
      return authenticateAccessToken(deps, credentials.bearerToken);
    },
    async start() {
      // Limits counted in-process for the first requests and in Redis afterwards would be split
      // across two counters: give the connection a moment before serving.
      if (redis) await settled(redis, 2_000);
      const { affectedUserIds } = await db.transaction().execute((trx) => syncBuiltInRoles(trx));
      await refreshAuthorizationCaches(deps, affectedUserIds);
      if (affectedUserIds.length > 0) {
        log.info(
          { users: affectedUserIds.length },
          'built-in roles changed with this release; holders will refresh',
        );
      }
      await dummyPasswordHash();
    },
  };
}

/** Resolves once the client is ready or has failed its first attempt (or after `timeoutMs`). */
function settled(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
    redis.once('error', done);
  });
}
