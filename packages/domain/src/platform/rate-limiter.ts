import type { Redis } from 'ioredis';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import type { LogSink } from './logger.ts';
import { silentLog } from './logger.ts';

/**
 * The rate-limiter port: a fixed-window counter per key. Every `consume` counts — allowed or not — so
 * a client that keeps hammering a closed window keeps it closed until the window ends. `refund` takes
 * one hit back: a caller that reserves a hit before doing the work (so concurrent attempts cannot all
 * slip under the limit) returns it when the attempt turns out not to count — a successful sign-in.
 *
 * Adapters: Redis (shared by every API replica; an atomic INCR + PEXPIRE script) and in-process (a
 * Map, for when REDIS_URL is unset). `createFailoverRateLimiter` puts the in-process one behind Redis
 * so an unreachable Redis degrades limits to per-process instead of failing sign-ins.
 * One contract suite (packages/domain/test/platform/rate-limiter.contract.test.ts) runs against both.
 */
export interface RateLimitRule {
  /** How many hits a window allows. */
  limit: number;
  /** Window length; fractions allowed (millisecond precision). */
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Hits counted in the current window, this one included. */
  count: number;
  remaining: number;
  /** Seconds until the window ends (≥ 1 when not allowed; what Retry-After says). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  readonly kind: 'redis' | 'in-process' | 'failover';
  /** Counts one hit against `key` under `rule` and says whether it is within the limit. */
  consume(key: string, rule: RateLimitRule): Promise<RateLimitDecision>;
  /** Takes back one hit of `key`'s current window (never below zero; nothing when the window ended). */
  refund(key: string): Promise<void>;
  /** Forgets `key` (e.g. a counter that success should clear). */
  reset(key: string): Promise<void>;
}

function decide(count: number, ttlMs: number, rule: RateLimitRule): RateLimitDecision {
  const allowed = count <= rule.limit;
  return {
    allowed,
    count,
    remaining: Math.max(0, rule.limit - count),
    retryAfterSeconds: Math.max(allowed ? 0 : 1, Math.ceil(ttlMs / 1000)),
  };
}

function windowMs(rule: RateLimitRule): number {
  if (!(rule.limit >= 1) || !(rule.windowSeconds > 0))
    throw new Error('rate limit rule needs limit ≥ 1 and a window');
  return Math.max(1, Math.round(rule.windowSeconds * 1000));
}

/** In-process adapter: exact within one process, invisible to other replicas. */
export function createInProcessRateLimiter(options: { clock?: Clock; maxKeys?: number } = {}): RateLimiter {
  const clock = options.clock ?? systemClock;
  const maxKeys = options.maxKeys ?? 100_000;
  const windows = new Map<string, { count: number; endsAt: number }>();

  const sweep = (now: number) => {
    for (const [key, window] of windows) if (window.endsAt <= now) windows.delete(key);
    // Still full of live windows: drop the oldest entries rather than grow without bound.
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(key);
    }
  };

  return {
    kind: 'in-process',
    async consume(key, rule) {
      const length = windowMs(rule);
      const now = clock.now().getTime();
      let window = windows.get(key);
      if (!window || window.endsAt <= now) {
        if (windows.size >= maxKeys) sweep(now);
        window = { count: 0, endsAt: now + length };
        windows.set(key, window);
      }
      window.count += 1;
      return decide(window.count, window.endsAt - now, rule);
    },
    async refund(key) {
      const window = windows.get(key);
      if (window && window.count > 0) window.count -= 1;
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}

// One round trip, atomic: the first hit of a window sets its expiry; a key that somehow lost its
// expiry gets one again rather than counting forever.
const CONSUME_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

// Only a live window is decremented: a refund must not create a key without an expiry.
const REFUND_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

/** Redis adapter: one counter per key under `${prefix}rl:`, shared by every replica. */
export function createRedisRateLimiter(redis: Redis, options: { prefix: string }): RateLimiter {
  const keyOf = (key: string) => `${options.prefix}rl:${key}`;
  return {
    kind: 'redis',
    async consume(key, rule) {
      const length = windowMs(rule);
      const [count, ttl] = (await redis.eval(CONSUME_SCRIPT, 1, keyOf(key), String(length))) as [
        number,
        number,
      ];
      return decide(Number(count), Number(ttl), rule);
    },
    async refund(key) {
      await redis.eval(REFUND_SCRIPT, 1, keyOf(key));
    },
    async reset(key) {
      await redis.del(keyOf(key));
    },
  };
}

/**
 * Redis first; while Redis fails, the in-process limiter answers (limits become per replica, which
 * beats refusing every sign-in). The switch is logged once per outage, and once on recovery.
 */
export function createFailoverRateLimiter(
  primary: RateLimiter,
  fallback: RateLimiter,
  log: LogSink = silentLog,
): RateLimiter {
  let degraded = false;
  const run = async <T>(operation: (limiter: RateLimiter) => Promise<T>): Promise<T> => {
    try {
      const result = await operation(primary);
      if (degraded) {
        degraded = false;
        log.info({ limiter: primary.kind }, 'rate limiter: Redis is back; shared limits restored');
      }
      return result;
    } catch (error) {
      if (!degraded) {
        degraded = true;
        log.warn(
          { err: error, limiter: primary.kind },
          'rate limiter: Redis unavailable; falling back to in-process limits until it returns',
        );
      }
      return operation(fallback);
    }
  };
  return {
    kind: 'failover',
    consume: (key, rule) => run((limiter) => limiter.consume(key, rule)),
    refund: (key) => run((limiter) => limiter.refund(key)),
    reset: (key) => run((limiter) => limiter.reset(key)),
  };
}
