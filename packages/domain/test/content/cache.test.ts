import { redisAvailable, useTestDatabase, useTestRedis } from '@atrium/testkit';
import { createTestOrg, createTestUser, sessionOf } from '@atrium/testkit/factories';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentCache, createRedisContentCache } from '../../src/content/cache.ts';
import { createContent, getContent, updateContent } from '../../src/content/content.ts';
import { createRedisClient } from '../../src/platform/redis.ts';

/**
 * The content cache's version stamps (docs/content.md "Cache"): whatever order a slow reader's fill
 * and a writer's invalidation reach Redis in, an older version never ends up served.
 */
describe.skipIf(!redisAvailable())('content cache: version stamps', () => {
  const redis = useTestRedis();
  const t = useTestDatabase();
  let client: Redis;
  let cache: ContentCache;
  beforeAll(async () => {
    client = createRedisClient(redis.url, { connectionName: 'content-cache-test' });
    await new Promise((resolve) => client.once('ready', resolve));
    cache = createRedisContentCache(client, { prefix: redis.prefix, ttlSeconds: 60 });
  });
  afterAll(() => client.disconnect());

  const slot = () => ({ kind: 'content' as const, id: crypto.randomUUID() });
  const read = async (s: ReturnType<typeof slot>) => (await cache.getMany([s]))[0];

  it('a fill of an older version after the invalidation of a newer one is refused', async () => {
    const s = slot();
    await cache.invalidate([s], 2);
    await cache.fill(s, { version: 1, value: { title: 'old' } });
    expect(await read(s)).toBeNull();
    await cache.fill(s, { version: 2, value: { title: 'new' } });
    expect(await read(s)).toEqual({ version: 2, value: { title: 'new' } });
  });

  it('an invalidation arriving after a fill of an older version replaces it; one of the same version keeps it', async () => {
    const s = slot();
    await cache.fill(s, { version: 1, value: { title: 'old' } });
    await cache.invalidate([s], 2);
    expect(await read(s)).toBeNull();
    await cache.fill(s, { version: 2, value: { title: 'new' } });
    await cache.invalidate([s], 2);
    expect(await read(s)).toEqual({ version: 2, value: { title: 'new' } });
    await cache.fill(s, { version: 1, value: { title: 'old' } });
    expect(await read(s)).toEqual({ version: 2, value: { title: 'new' } });
  });

  it('the race through the use cases: a reader that read v1 and stalls before its fill never leaves v1 behind an update', async () => {
    const org = await createTestOrg(t.db);
    const user = await createTestUser(t.db, { orgId: org.id, roles: ['editor'] });
    const session = await sessionOf(t.db, user.id);
    const created = await createContent({ db: t.db, cache }, session, {
      title: 'Version one',
      language: 'en',
    });
    // Start from an empty slot, as after a TTL expiry.
    await client.del(`${redis.prefix}content:${created.id}`, `${redis.prefix}media:${created.id}`);

    // The reader's cache: misses like the real one, but its fills wait until the writer has finished.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let fillsStarted = 0;
    const stalled: ContentCache = {
      ...cache,
      getMany: (slots) => cache.getMany(slots),
      fill: async (s, entry) => {
        fillsStarted += 1;
        await gate;
        await cache.fill(s, entry);
      },
      invalidate: (slots, version) => cache.invalidate(slots, version),
    };
    const reader = getContent({ db: t.db, cache: stalled }, session, { id: created.id });
    while (fillsStarted === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // The reader has read version 1 from the database and is about to store it. Now a write commits.
    const updated = await updateContent({ db: t.db, cache }, session, {
      id: created.id,
      expectedVersion: 1,
      title: 'Version two',
    });
    expect(updated.version).toBe(2);
    release();
    expect((await reader).title).toBe('Version one');

    // What the cache holds now, and what every later read sees: version two.
    const [content] = await cache.getMany([{ kind: 'content', id: created.id }]);
    expect(content?.version).toBe(2);
    expect((await getContent({ db: t.db, cache }, session, { id: created.id })).title).toBe('Version two');
  });

  it('many concurrent readers and writers: once they settle, the cache serves the latest version', async () => {
    const org = await createTestOrg(t.db);
    const user = await createTestUser(t.db, { orgId: org.id, roles: ['editor'] });
    const session = await sessionOf(t.db, user.id);
    const deps = { db: t.db, cache };
    const created = await createContent(deps, session, { title: 'Round 0', language: 'en' });
    let version = created.version;
    const readers = async () => {
      for (let i = 0; i < 40; i += 1) await getContent(deps, session, { id: created.id });
    };
    const writer = async () => {
      for (let i = 1; i <= 15; i += 1) {
        const next = await updateContent(deps, session, {
          id: created.id,
          expectedVersion: version,
          title: `Round ${i}`,
        });
        version = next.version;
      }
    };
    await Promise.all([readers(), readers(), readers(), writer()]);
    const [content] = await cache.getMany([{ kind: 'content', id: created.id }]);
    // Either the latest version or nothing (a marker): never an older one.
    if (content) expect(content.version).toBe(version);
    expect((await getContent(deps, session, { id: created.id })).title).toBe('Round 15');
  });
});
