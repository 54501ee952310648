import { redisAvailable, useTestRedis } from '@atrium/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/platform/clock.ts';
import type { LogSink } from '../../src/platform/logger.ts';
import {
  createFailoverRateLimiter,
  createInProcessRateLimiter,
  createRedisRateLimiter,
  type RateLimiter,
} from '../../src/platform/rate-limiter.ts';
import { createRedisClient } from '../../src/platform/redis.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let keyCounter = 0;
const freshKey = (label: string) => `contract:${label}:${Date.now().toString(36)}:${++keyCounter}`;

/**
 * The rate-limiter contract (ARCHITECTURE principle 11): one suite, every adapter. Windows are real
 * (short) time, because the Redis adapter's windows live in Redis.
 */
function rateLimiterContract(name: string, make: () => RateLimiter) {
  describe(`rate limiter contract: ${name}`, () => {
    it('allows up to the limit in a window, then refuses with a retry delay within the window', async () => {
      const limiter = make();
      const key = freshKey('basic');
      const rule = { limit: 3, windowSeconds: 30 };
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await limiter.consume(key, rule));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
      expect(decisions.map((d) => d.count)).toEqual([1, 2, 3, 4, 5]);
      expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0, 0]);
      const refused = decisions[3];
      expect(refused?.retryAfterSeconds).toBeGreaterThanOrEqual(29);
      expect(refused?.retryAfterSeconds).toBeLessThanOrEqual(30);
    });

    it('keeps keys apart', async () => {
      const limiter = make();
      const rule = { limit: 1, windowSeconds: 30 };
      const a = freshKey('a');
      const b = freshKey('b');
      expect((await limiter.consume(a, rule)).allowed).toBe(true);
      expect((await limiter.consume(a, rule)).allowed).toBe(false);
      expect((await limiter.consume(b, rule)).allowed).toBe(true);
    });

    it('opens a new window when the old one ends, and keeps a hammered window shut until then', async () => {
      const limiter = make();
      const key = freshKey('window');
      const rule = { limit: 2, windowSeconds: 0.4 };
      await limiter.consume(key, rule);
      await limiter.consume(key, rule);
      expect((await limiter.consume(key, rule)).allowed).toBe(false);
      await sleep(150);
      // Still the same window: refused attempts do not extend it, but they count.
      expect((await limiter.consume(key, rule)).allowed).toBe(false);
      await sleep(350);
      const fresh = await limiter.consume(key, rule);
      expect(fresh).toMatchObject({ allowed: true, count: 1, remaining: 1 });
    });

    it('counts atomically under concurrency: exactly `limit` of 20 parallel hits pass', async () => {
      const limiter = make();
      const key = freshKey('race');
      const rule = { limit: 7, windowSeconds: 30 };
      const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume(key, rule)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(7);
      expect(decisions.map((d) => d.count).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    it('takes a hit back on refund, within the window, never below zero and never past it', async () => {
      const limiter = make();
      const key = freshKey('refund');
      const rule = { limit: 2, windowSeconds: 0.4 };
      await limiter.consume(key, rule);
      await limiter.consume(key, rule);
      await limiter.refund(key);
      expect(await limiter.consume(key, rule)).toMatchObject({ allowed: true, count: 2 });
      expect((await limiter.consume(key, rule)).allowed).toBe(false);
      const untouched = freshKey('refund-none');
      await limiter.refund(untouched);
      expect(await limiter.consume(untouched, rule)).toMatchObject({ allowed: true, count: 1 });
      await sleep(450);
      // The window ended: a late refund creates nothing, and the next window starts from one.
      await limiter.refund(key);
      expect(await limiter.consume(key, rule)).toMatchObject({ allowed: true, count: 1 });
    });

    it('forgets a key on reset', async () => {
      const limiter = make();
      const key = freshKey('reset');
      const rule = { limit: 1, windowSeconds: 30 };
      await limiter.consume(key, rule);
      expect((await limiter.consume(key, rule)).allowed).toBe(false);
      await limiter.reset(key);
      expect((await limiter.consume(key, rule)).allowed).toBe(true);
    });

    it('refuses a nonsensical rule', async () => {
      await expect(make().consume(freshKey('bad'), { limit: 0, windowSeconds: 1 })).rejects.toThrow(/limit/);
    });
  });
}

rateLimiterContract('in-process', () => createInProcessRateLimiter());

describe.skipIf(!redisAvailable())('with Redis', () => {
  const redis = useTestRedis();
  let client: Redis;
  beforeAll(async () => {
    client = createRedisClient(redis.url, { connectionName: 'rate-limiter-contract' });
    await new Promise((resolve) => client.once('ready', resolve));
  });
  afterAll(() => client.disconnect());

  rateLimiterContract('redis', () => createRedisRateLimiter(client, { prefix: redis.prefix }));

  it('stores its counters under the REDIS_PREFIX namespace with an expiry', async () => {
    const limiter = createRedisRateLimiter(client, { prefix: redis.prefix });
    await limiter.consume('ns-check', { limit: 5, windowSeconds: 60 });
    const ttl = await redis.client.pttl(`${redis.prefix}rl:ns-check`);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('shares counters between replicas (two limiters on one Redis)', async () => {
    const other = new Redis(redis.url, { lazyConnect: true });
    await other.connect();
    try {
      const a = createRedisRateLimiter(client, { prefix: redis.prefix });
      const b = createRedisRateLimiter(other, { prefix: redis.prefix });
      const key = freshKey('shared');
      const rule = { limit: 2, windowSeconds: 30 };
      expect((await a.consume(key, rule)).allowed).toBe(true);
      expect((await b.consume(key, rule)).allowed).toBe(true);
      expect((await a.consume(key, rule)).allowed).toBe(false);
    } finally {
      other.disconnect();
    }
  });
});

describe('failover: Redis configured but down', () => {
  it('answers from the in-process limiter instead of failing, and logs the switch once', async () => {
    const warnings: string[] = [];
    const log: LogSink = { info: () => {}, warn: (_f, message) => warnings.push(message), error: () => {} };
    // Nothing listens on port 1.
    const dead = createRedisClient('redis://127.0.0.1:1', { connectionName: 'dead' });
    try {
      const limiter = createFailoverRateLimiter(
        createRedisRateLimiter(dead, { prefix: 'x:' }),
        createInProcessRateLimiter(),
        log,
      );
      const rule = { limit: 2, windowSeconds: 30 };
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push(await limiter.consume('k', rule));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/falling back to in-process/);
    } finally {
      dead.disconnect();
    }
  });
});

describe('in-process limiter bookkeeping', () => {
  it('uses the injected clock for windows and stays bounded in size', async () => {
    const clock = manualClock(new Date('2026-01-01T00:00:00Z'));
    const limiter = createInProcessRateLimiter({ clock, maxKeys: 10 });
    const rule = { limit: 1, windowSeconds: 60 };
    expect((await limiter.consume('a', rule)).allowed).toBe(true);
    expect((await limiter.consume('a', rule)).retryAfterSeconds).toBe(60);
    clock.advance(59_000);
    expect((await limiter.consume('a', rule)).retryAfterSeconds).toBe(1);
    clock.advance(1_000);
    expect((await limiter.consume('a', rule)).allowed).toBe(true);
    for (let i = 0; i < 50; i++) await limiter.consume(`k${i}`, rule);
    // Old keys were evicted rather than kept forever; the newest still counts.
    expect((await limiter.consume('k49', rule)).allowed).toBe(false);
  });
});
