import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import type { AccessTokens } from '../access/access-tokens.ts';
import type { AuthorizationCache } from '../access/authorization-cache.ts';
import { DEFAULT_EMAIL_QUOTA_PER_HOUR } from '../notifications/policy.ts';
import type { Clock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';
import type { RateLimiter, RateLimitRule } from '../platform/rate-limiter.ts';
import type { DeviceCookies } from './device-cookies.ts';

/** The tunables of sign-in and account recovery; the API builds them from its env (AUTH_*). */
export interface IdentityConfig {
  /**
   * Failed sign-ins per (account, known device), or in the account's untrusted bucket for browsers
   * without its device cookie (SPEC §1: 10 in 15 minutes). Successes never count.
   */
  signInFailuresPerDevice: RateLimitRule;
  /** Failed sign-ins per source address across all accounts (SPEC §1: 100 an hour). */
  signInFailuresPerIp: RateLimitRule;
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
  /** The web app's origin, for links in the emails the API queues itself (invitations). */
  webBaseUrl: string;
  /** Emails people may cause per org per hour unless an operator set the org's own (notifications/policy.ts). */
  emailQuotaPerHour: number;
}

export const DEFAULT_IDENTITY_CONFIG: IdentityConfig = {
  signInFailuresPerDevice: { limit: 10, windowSeconds: 15 * 60 },
  signInFailuresPerIp: { limit: 100, windowSeconds: 60 * 60 },
  refreshTokenTtlSeconds: 30 * 24 * 60 * 60,
  resendPerMinute: { limit: 1, windowSeconds: 60 },
  resendPerHour: { limit: 5, windowSeconds: 60 * 60 },
  resetRequestPerEmail: { limit: 3, windowSeconds: 60 * 60 },
  resetRequestPerIp: { limit: 20, windowSeconds: 60 * 60 },
  registerPerIp: { limit: 20, windowSeconds: 60 * 60 },
  changePasswordPerUser: { limit: 5, windowSeconds: 15 * 60 },
  webBaseUrl: 'http://127.0.0.1:5173',
  emailQuotaPerHour: DEFAULT_EMAIL_QUOTA_PER_HOUR,
};

/** What identity use cases run on (built once per API process). */
export interface IdentityDeps {
  db: Kysely<Database>;
  clock: Clock;
  rateLimiter: RateLimiter;
  authzCache: AuthorizationCache;
  accessTokens: AccessTokens;
  /** Signs and checks the device cookies that sign-in limits count failures by. */
  deviceCookies: DeviceCookies;
  config: IdentityConfig;
  log: LogSink;
}

/** Where a request came from, for rate limits, refresh-token rows and audit payloads. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}
