import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import type { AccessTokens } from '../access/access-tokens.ts';
import type { AuthorizationCache } from '../access/authorization-cache.ts';
import type { Clock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';
import type { RateLimiter, RateLimitRule } from '../platform/rate-limiter.ts';

/** The tunables of sign-in and account recovery; the API builds them from its env (AUTH_*). */
export interface IdentityConfig {
  /** Sign-in attempts per client IP (SPEC: 5 per minute). */
  loginPerIp: RateLimitRule;
  /** Sign-in attempts per account, keyed by the submitted email whether or not it exists. */
  loginPerAccount: RateLimitRule;
  /** Consecutive failed sign-ins that lock an account… */
  lockoutThreshold: number;
  /** …for this long. */
  lockoutSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Verification-code resends per address: one per minute and five per hour. */
  resendPerMinute: RateLimitRule;
  resendPerHour: RateLimitRule;
  /** Reset-link requests per address and per IP; over the limit the request is quietly dropped. */
  resetRequestPerEmail: RateLimitRule;
  resetRequestPerIp: RateLimitRule;
  /** Sign-ups per IP (each one sends an email). */
  registerPerIp: RateLimitRule;
  /** Wrong current passwords per user in auth.changePassword (a stolen access token cannot guess on). */
  changePasswordPerUser: RateLimitRule;
}

export const DEFAULT_IDENTITY_CONFIG: IdentityConfig = {
  loginPerIp: { limit: 5, windowSeconds: 60 },
  loginPerAccount: { limit: 5, windowSeconds: 60 },
  lockoutThreshold: 10,
  lockoutSeconds: 15 * 60,
  refreshTokenTtlSeconds: 30 * 24 * 60 * 60,
  resendPerMinute: { limit: 1, windowSeconds: 60 },
  resendPerHour: { limit: 5, windowSeconds: 60 * 60 },
  resetRequestPerEmail: { limit: 3, windowSeconds: 60 * 60 },
  resetRequestPerIp: { limit: 20, windowSeconds: 60 * 60 },
  registerPerIp: { limit: 20, windowSeconds: 60 * 60 },
  changePasswordPerUser: { limit: 5, windowSeconds: 15 * 60 },
};

/** What identity use cases run on (built once per API process). */
export interface IdentityDeps {
  db: Kysely<Database>;
  clock: Clock;
  rateLimiter: RateLimiter;
  authzCache: AuthorizationCache;
  accessTokens: AccessTokens;
  config: IdentityConfig;
  log: LogSink;
}

/** Where a request came from, for rate limits, refresh-token rows and audit payloads. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}
