import { SEARCH_INDEX_QUEUE } from '@atrium/domain/content/queues';
import { envelopeOf } from '@atrium/domain/events/envelope';
import { startRedisServer } from '@atrium/local-engines/redis';
import { seedDemo } from '@atrium/seed';
import { testRedisUrl, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/services.ts';
import { callerAs, member, YOUTUBE_URL } from './content-helpers.ts';
import { testApiEnv } from './helpers.ts';
import { codeOf } from './ops-helpers.ts';

/**
 * Discovery end to end (SPEC §4), every engine real: content procedures through the router, the
 * outbox relay and the `search.index` queue in a running worker, the PostgreSQL search adapter,
 * Redis for the cache. Nothing here indexes by hand.
 */
describe('discovery: indexed by the worker, searched by the public', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  const prefix = `t:disc:${Date.now().toString(36)}:`;
  let services: Services;
  let worker: RunningWorker;
  let orgSlug: string;
  let editor: Awaited<ReturnType<typeof member>>;
  let creator: Awaited<ReturnType<typeof member>>;
  let n = 0;

  beforeAll(async () => {
    // The in-process caller has no client address, and waitFor polls searches every 25 ms: the per-caller
    // limits are exercised over HTTP in discovery-limits.test.ts, not here.
    services = await createServices(
      testApiEnv(t.url, {
        REDIS_PREFIX: prefix,
        DISCOVERY_ANONYMOUS_PER_MINUTE: '1000000',
        DISCOVERY_MEMBER_PER_MINUTE: '1000000',
        DISCOVERY_CONCURRENT_PER_CALLER: '1000',
      }),
    );
    worker = await startWorker(
      testWorkerEnv(t.url, { REDIS_PREFIX: prefix, REDIS_URL: testRedisUrl() ?? undefined }),
    );
    const org = await createTestOrg(t.db, { name: 'Harbour Films' });
    orgSlug = org.slug;
    editor = await member(t.db, org.id, ['editor']);
    creator = await member(t.db, org.id, ['creator']);
  });
  afterAll(async () => {
    await worker?.stop();
    await services?.close();
  });

  const as = (who: { session: Parameters<typeof callerAs>[1] } | null) =>
    callerAs(services, who?.session ?? null);
  const search = (q: string, more: Record<string, unknown> = {}) =>
    as(null).discovery.search({ orgSlug, q, ...more });

  async function publishNew(title: string, description = '', language = 'en') {
    const created = await as(creator).content.create({
      title,
      description,
      language,
      media: { mediaType: 'video', externalUrl: YOUTUBE_URL(`disc${String(n++).padStart(7, '0')}`) },
    });
    const published = await as(editor).content.publish({ id: created.id });
    return { ...published, committedAt: Date.now() };
  }

  const found = async (q: string, id: string) => (await search(q)).items.some((item) => item.id === id);

  it('create + publish → searchable within a second; the hit is hydrated with its media', async () => {
    const item = await publishNew('The lighthouse keeper podcast', 'Stories from the coast.');
    await waitFor(() => found('lighthouse', item.id), { timeoutMs: 1_000, what: 'the new item in search' });
    const elapsed = Date.now() - item.committedAt;
    expect(elapsed).toBeLessThan(1_000);
    const result = await search('lighthouse');
    expect(result.items[0]).toMatchObject({ id: item.id, media: { provider: 'youtube' } });
    expect(result.facets.mediaType).toContainEqual({ value: 'video', count: 1 });
    // Typo tolerance, through the port.
    expect(await found('podcsat', item.id)).toBe(true);
    expect((await as(null).discovery.get({ orgSlug, id: item.id })).title).toBe(item.title);
  });

  it('update → reindexed: the new title is found, the old one no longer', async () => {
    const item = await publishNew('Granite quarry sounds');
    await waitFor(() => found('granite', item.id), { what: 'first version indexed' });
    await as(editor).content.update({
      id: item.id,
      expectedVersion: item.version,
      title: 'Marble workshop sounds',
    });
    await waitFor(() => found('marble', item.id), { what: 'the new title indexed' });
    expect(await found('granite', item.id)).toBe(false);
  });

  it('unpublish and delete → gone from public search, from discovery.get and from the cache', async () => {
    const a = await publishNew('Orchard in winter');
    const b = await publishNew('Orchard in spring');
    await waitFor(async () => (await found('orchard', a.id)) && (await found('orchard', b.id)), {
      what: 'both indexed',
    });
    // Warm the cache.
    await as(null).discovery.get({ orgSlug, id: a.id });
    await as(null).discovery.get({ orgSlug, id: b.id });
    await as(editor).content.unpublish({ id: a.id });
    await as(creator).content.delete({ id: b.id });
    // Gone at once for direct reads (the write refreshed the cache), and from search once indexed.
    expect(await codeOf(as(null).discovery.get({ orgSlug, id: a.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as(null).discovery.get({ orgSlug, id: b.id }))).toBe('NOT_FOUND');
    await waitFor(async () => (await search('orchard')).total === 0, { what: 'both removed from the index' });
  });

  it('repeated and reordered events never bring back a deleted or unpublished item', async () => {
    const item = await publishNew('Tidal clock documentary');
    await waitFor(() => found('tidal', item.id), { what: 'indexed' });
    const events = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', item.id)
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['ContentCreated', 'ContentPublished']);
    await as(creator).content.delete({ id: item.id });
    await waitFor(async () => !(await found('tidal', item.id)), { what: 'removed' });
    // The old events again, late and out of order, as a redelivery or a redrive would bring them.
    for (const event of [...events].reverse()) {
      await worker.boss.send(SEARCH_INDEX_QUEUE, envelopeOf(event), { singletonKey: item.id });
    }
    await waitFor(
      async () => {
        const jobs = await worker.boss.findJobs(SEARCH_INDEX_QUEUE, { key: item.id });
        return jobs.every((job) => job.state === 'completed');
      },
      { what: 'the replayed jobs completed' },
    );
    expect(await found('tidal', item.id)).toBe(false);

    // The same for an unpublished item: republishing is the only way back.
    const other = await publishNew('Tidal mill restoration');
    await waitFor(() => found('mill', other.id), { what: 'indexed' });
    const published = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', other.id)
      .where('type', '=', 'ContentPublished')
      .executeTakeFirstOrThrow();
    await as(editor).content.unpublish({ id: other.id });
    await waitFor(async () => !(await found('mill', other.id)), { what: 'unpublished item removed' });
    await worker.boss.send(SEARCH_INDEX_QUEUE, envelopeOf(published), { singletonKey: other.id });
    await waitFor(
      async () =>
        (await worker.boss.findJobs(SEARCH_INDEX_QUEUE, { key: other.id })).every(
          (job) => job.state === 'completed',
        ),
      { what: 'the replayed publish completed' },
    );
    expect(await found('mill', other.id)).toBe(false);
  });

  it('the seeded demo library is searchable once the worker has indexed it: facets, filters, pages', async () => {
    await seedDemo(t.db);
    const demo = (input: Record<string, unknown> = {}) =>
      as(null).discovery.search({ orgSlug: 'demo', ...input });
    await waitFor(async () => (await demo()).total === 47, { what: 'the 47 published demo pieces indexed' });
    const all = await demo({ limit: 20 });
    expect(all.items).toHaveLength(20);
    expect(all.facets.mediaType.map((f) => f.value).sort()).toEqual(['audio', 'video']);
    expect(all.facets.language.length).toBeGreaterThanOrEqual(5);
    const lastPage = await demo({ limit: 20, offset: 40 });
    expect(lastPage.items).toHaveLength(7);
    const audioGerman = await demo({ mediaType: 'audio', language: 'de' });
    expect(audioGerman.items.map((i) => i.title).sort()).toEqual([
      'Gespräche über Arbeit',
      'Klassik am Mittag',
    ]);
    // "lighthuose": a typo; both episodes of the podcast come first.
    const typo = await demo({ q: 'lighthuose podcast' });
    expect(
      typo.items
        .slice(0, 2)
        .map((i) => i.title)
        .sort(),
    ).toEqual(['The lighthouse keeper podcast, episode 1', 'The lighthouse keeper podcast, episode 2']);
    // Drafts are not in the public library.
    expect((await demo({ q: 'choir rehearsal' })).items.map((i) => i.title)).not.toContain(
      'Draft: choir rehearsal',
    );
  });

  it("another org's library never finds this org's content", async () => {
    const item = await publishNew('Copper roof restoration');
    await waitFor(() => found('copper', item.id), { what: 'indexed' });
    const other = await createTestOrg(t.db);
    const theirs = await as(null).discovery.search({ orgSlug: other.slug, q: 'copper' });
    expect(theirs).toMatchObject({ items: [], total: 0 });
    expect(await codeOf(as(null).discovery.get({ orgSlug: other.slug, id: item.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as(null).discovery.search({ orgSlug: 'no-such-library', q: '' }))).toBe('NOT_FOUND');
  });

  it('discovery.reindex (operators) rebuilds a lost index in the worker while searches keep answering', async () => {
    expect(await codeOf(as(editor).discovery.reindex())).toBe('FORBIDDEN');
    const item = await publishNew('Quarry orchestra rehearsal');
    await waitFor(() => found('quarry', item.id), { what: 'indexed' });
    // The index loses the document (a wiped or corrupted engine); the row is still published.
    await t.db.deleteFrom('search_documents').where('content_id', '=', item.id).execute();
    expect(await found('quarry', item.id)).toBe(false);
    const operator = await member(
      t.db,
      (await createTestOrg(t.db)).id,
      ['viewer'],
      'Otto Operator',
      'operator',
    );
    const { jobId } = await as(operator).discovery.reindex();
    const job = await waitFor(
      async () => {
        const current = await worker.boss.getJobById<unknown>('search.reindex', jobId ?? '');
        return current && current.state !== 'created' && current.state !== 'active' ? current : null;
      },
      { what: 'the reindex job to finish' },
    );
    expect(job.state).toBe('completed');
    expect(await found('quarry', item.id)).toBe(true);
  });
});

describe('content.get when Redis goes away', { timeout: 60_000 }, () => {
  const t = useTestDatabase();

  it('answers from the database while Redis is down, and caches again once it is back', async () => {
    const redis = await startRedisServer();
    if (!redis) throw new Error('this test needs redis-server on PATH');
    const services = await createServices(testApiEnv(t.url, { REDIS_URL: redis.url }));
    try {
      const org = await createTestOrg(t.db);
      const editor = await member(t.db, org.id, ['editor']);
      const caller = callerAs(services, editor.session);
      const created = await caller.content.create({
        title: 'Stairwell acoustics',
        language: 'en',
        media: { mediaType: 'audio', externalUrl: 'https://soundcloud.com/atrium/stairwell' },
      });
      await caller.content.get({ id: created.id });
      const hitsBefore = services.content.cache.stats.hits;
      await caller.content.get({ id: created.id });
      expect(services.content.cache.stats.hits).toBeGreaterThan(hitsBefore);

      await redis.stop();
      const errorsBefore = services.content.cache.stats.errors;
      const during = await caller.content.get({ id: created.id });
      expect(during.title).toBe('Stairwell acoustics');
      const updated = await caller.content.update({
        id: created.id,
        expectedVersion: 1,
        title: 'Stairwell echoes',
      });
      expect(updated.version).toBe(2);
      expect((await caller.content.get({ id: created.id })).title).toBe('Stairwell echoes');
      expect(services.content.cache.stats.errors).toBeGreaterThan(errorsBefore);
    } finally {
      await services.close();
      await redis.stop();
    }
  });
});
