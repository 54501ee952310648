import { redisAvailable, useTestRedis } from '@atrium/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthState, createRedisAuthorizationCache } from '../../src/access/authorization-cache.ts';
import { createRedisClient } from '../../src/platform/redis.ts';

const state = (overrides: Partial<AuthState> = {}): AuthState => ({
  userId: crypto.randomUUID(),
  orgId: crypto.randomUUID(),
  status: 'active',
  pv: 1,
  roles: ['viewer'],
  permissions: ['datasets.read'],
  platformRole: null,
  mustChangePassword: false,
  ...overrides,
});

describe.skipIf(!redisAvailable())('Redis authorisation cache', () => {
  const redis = useTestRedis();
  let client: Redis;
  beforeAll(async () => {
    client = createRedisClient(redis.url, { connectionName: 'authz-cache-test' });
    await new Promise((resolve) => client.once('ready', resolve));
  });
  afterAll(() => client.disconnect());

  const cache = () => createRedisAuthorizationCache(client, { prefix: redis.prefix, ttlSeconds: 60 });

  it('stores the state under authz:{userId} with a TTL and reads it back', async () => {
    const s = state();
    await cache().put(s);
    expect(await cache().get(s.userId)).toEqual(s);
    const ttl = await redis.client.ttl(`${redis.prefix}authz:${s.userId}`);
    expect(ttl).toBeGreaterThan(55);
  });

  it('fill never overwrites an entry (a slow reader cannot undo a fresher refresh)', async () => {
    const s = state({ pv: 2, roles: ['editor'] });
    await cache().put(s);
    await cache().fill({ ...s, pv: 1, roles: ['viewer'] });
    expect(await cache().get(s.userId)).toMatchObject({ pv: 2, roles: ['editor'] });
  });

  it('put overwrites the same or an older version, never a newer one', async () => {
    const s = state({ pv: 5 });
    await cache().put(s);
    await cache().put({ ...s, mustChangePassword: true });
    expect((await cache().get(s.userId))?.mustChangePassword).toBe(true);
    await cache().put({ ...s, pv: 4, roles: ['stale'] });
    expect((await cache().get(s.userId))?.roles).toEqual(['viewer']);
    await cache().put({ ...s, pv: 6, roles: ['fresh'] });
    expect((await cache().get(s.userId))?.roles).toEqual(['fresh']);
  });

  it('treats unreadable entries as a miss, and delete removes', async () => {
    const s = state();
    await redis.client.set(`${redis.prefix}authz:${s.userId}`, '{not json');
    expect(await cache().get(s.userId)).toBeNull();
    await redis.client.set(`${redis.prefix}authz:${s.userId}`, JSON.stringify({ ...s, status: 'weird' }));
    expect(await cache().get(s.userId)).toBeNull();
    await cache().put(s);
    await cache().delete(s.userId);
    expect(await cache().get(s.userId)).toBeNull();
  });
});

describe('Redis authorisation cache while Redis is down', () => {
  it('never throws: reads miss, writes are dropped', async () => {
    const dead = createRedisClient('redis://127.0.0.1:1', { connectionName: 'dead' });
    try {
      const cache = createRedisAuthorizationCache(dead, { prefix: 'x:', ttlSeconds: 60 });
      const s = state();
      await expect(cache.put(s)).resolves.toBeUndefined();
      await expect(cache.fill(s)).resolves.toBeUndefined();
      await expect(cache.get(s.userId)).resolves.toBeNull();
      await expect(cache.delete(s.userId)).resolves.toBeUndefined();
    } finally {
      dead.disconnect();
    }
  });
});
