import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import './context.ts';

/** URL of the run's Redis, or null when none could be found or started (see global setup). */
export function testRedisUrl(): string | null {
  return inject('atriumRedisUrl');
}

/** For `describe.skipIf(!redisAvailable())`: the global setup already failed the run under CI. */
export function redisAvailable(): boolean {
  return testRedisUrl() !== null;
}

export interface TestRedis {
  url: string;
  /** Key/channel namespace private to this test file; production code takes it as REDIS_PREFIX. */
  prefix: string;
  client: Redis;
}

/** A Redis namespace private to this file, whose keys are deleted afterwards. */
export function useTestRedis(): TestRedis {
  let client: Redis | undefined;
  const prefix = `t:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}:`;
  beforeAll(async () => {
    const url = testRedisUrl();
    if (!url)
      throw new Error('useTestRedis() needs Redis; guard the block with describe.skipIf(!redisAvailable())');
    client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await client.connect();
  });
  afterAll(async () => {
    if (!client) return;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
    client.disconnect();
  });
  return {
    get url() {
      const url = testRedisUrl();
      if (!url) throw new Error('no Redis in this run');
      return url;
    },
    prefix,
    get client() {
      if (!client) throw new Error('useTestRedis(): read the client inside a test or hook');
      return client;
    },
  };
}
