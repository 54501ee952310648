import { indexContent } from '@atrium/domain/discovery/indexing';
import { useTestDatabase } from '@atrium/testkit';
import { accessTokenFor, createTestOrg } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context.ts';
import type { RunningApi } from '../src/server.ts';
import { createCallerFactory, heavy, publicProcedure, router } from '../src/trpc.ts';
import { call, freshIp, startTestApi } from './auth-helpers.ts';
import { callerAs, member, YOUTUBE_URL } from './content-helpers.ts';

const ANONYMOUS_PER_MINUTE = 5;
const MEMBER_PER_MINUTE = 8;
const JWT_SECRET = 'discovery-limits-test-secret-0123456789';

/**
 * The public Library over real HTTP (docs/security.md): anonymous reads are limited per client
 * address (X-Forwarded-For, trusted from loopback as TRUST_PROXY says), signed-in reads per user
 * under their own allowance, calls at once per caller; and what it answers carries no internal ids.
 */
describe('discovery: public reads are rate limited and carry no internal ids', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgSlug: string;
  let orgId: string;
  let contentId: string;
  let viewerToken: string;

  beforeAll(async () => {
    api = await startTestApi(t.url, {
      DISCOVERY_ANONYMOUS_PER_MINUTE: String(ANONYMOUS_PER_MINUTE),
      DISCOVERY_MEMBER_PER_MINUTE: String(MEMBER_PER_MINUTE),
      JWT_SECRET,
    });
    const org = await createTestOrg(t.db, { name: 'Limited Library' });
    orgSlug = org.slug;
    orgId = org.id;
    const creator = await member(t.db, org.id, ['creator'], 'Cora Creator');
    const editor = await member(t.db, org.id, ['editor']);
    const viewer = await member(t.db, org.id, ['viewer']);
    const created = await callerAs(api.services, creator.session).content.create({
      title: 'Harbour lights at dusk',
      description: 'A short film.',
      language: 'en',
      media: { mediaType: 'video', externalUrl: YOUTUBE_URL('limits00001') },
    });
    await callerAs(api.services, editor.session).content.publish({ id: created.id });
    contentId = created.id;
    // The worker's indexing use case, run here: indexing itself is covered by discovery.test.ts.
    await indexContent({ db: t.db, search: api.services.content.search }, { orgId, contentId });
    viewerToken = await accessTokenFor(t.db, viewer.user.id, { secret: JWT_SECRET });
  });
  afterAll(async () => {
    await api?.close();
  });

  const search = (options: { ip: string; token?: string }) =>
    call<{ items: Array<Record<string, unknown>> }>(api, 'discovery.search', {
      type: 'query',
      input: { orgSlug, q: '' },
      ...options,
    });

  it('answers the N+1th anonymous search from one address with 429 and Retry-After; other addresses are served', async () => {
    const ip = freshIp();
    for (let i = 0; i < ANONYMOUS_PER_MINUTE; i++) expect((await search({ ip })).status).toBe(200);
    const refused = await search({ ip });
    expect(refused.status).toBe(429);
    expect(refused.code).toBe('RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.error?.json.data.retryAfterSeconds).toBe(retryAfter);
    // discovery.get counts against the same allowance.
    const get = await call(api, 'discovery.get', { type: 'query', input: { orgSlug, id: contentId }, ip });
    expect(get.status).toBe(429);

    const other = await search({ ip: freshIp() });
    expect(other.status).toBe(200);
    expect(other.data.items).toHaveLength(1);
  });

  it('limits a signed-in caller per user, apart from the address they call from', async () => {
    const ip = freshIp();
    // The address is used up anonymously…
    for (let i = 0; i <= ANONYMOUS_PER_MINUTE; i++) await search({ ip });
    expect((await search({ ip })).status).toBe(429);
    // …the member calling from it still has their own allowance, and from any address.
    for (let i = 0; i < MEMBER_PER_MINUTE; i++) {
      const answer = await search({ ip: i % 2 === 0 ? ip : freshIp(), token: viewerToken });
      expect(answer.status, `member call ${i + 1}`).toBe(200);
    }
    const refused = await search({ ip: freshIp(), token: viewerToken });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('caps searches at once per caller: a burst from one address is partly refused, never a 500', async () => {
    // Generous per-minute allowances, one search at once: only the concurrency cap can refuse.
    const burstApi = await startTestApi(t.url, {
      DISCOVERY_ANONYMOUS_PER_MINUTE: '10000',
      DISCOVERY_CONCURRENT_PER_CALLER: '1',
    });
    try {
      const ip = freshIp();
      const answers = await Promise.all(
        Array.from({ length: 40 }, () =>
          call(burstApi, 'discovery.search', { type: 'query', input: { orgSlug, q: 'harbour' }, ip }),
        ),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
      expect(statuses).toContain(200);
      const refused = answers.find((answer) => answer.status === 429);
      expect(refused?.code).toBe('RATE_LIMITED');
      expect(refused?.message).toContain('at once');
      expect(Number(refused?.headers.get('retry-after'))).toBe(1);
      // Another address is not held up by this one's searches.
      const other = await call(burstApi, 'discovery.search', {
        type: 'query',
        input: { orgSlug, q: 'harbour' },
        ip: freshIp(),
      });
      expect(other.status).toBe(200);
    } finally {
      await burstApi.close();
    }
  });

  it('search hits and discovery.get carry no organisation or author ids', async () => {
    const hits = await search({ ip: freshIp() });
    expect(hits.status).toBe(200);
    const [hit] = hits.data.items;
    expect(hit).toMatchObject({ id: contentId, title: 'Harbour lights at dusk', authorName: 'Cora Creator' });
    expect(hit).not.toHaveProperty('orgId');
    expect(hit).not.toHaveProperty('authorId');
    expect(JSON.stringify(hits.body)).not.toContain(orgId);

    const item = await call<Record<string, unknown>>(api, 'discovery.get', {
      type: 'query',
      input: { orgSlug, id: contentId },
      ip: freshIp(),
    });
    expect(item.status).toBe(200);
    expect(item.data).toMatchObject({ id: contentId });
    expect(item.data).not.toHaveProperty('orgId');
    expect(item.data).not.toHaveProperty('authorId');
    expect(JSON.stringify(item.body)).not.toContain(orgId);
  });

  it('keeps the Library cap apart from `heavy`, which still allows HEAVY_CALLS_PER_CALLER at once', async () => {
    const org = await createTestOrg(t.db);
    const someone = await member(t.db, org.id, ['viewer']);
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const slow = router({ work: publicProcedure.use(heavy).query(() => gate.then(() => 'done')) });
    const caller = createCallerFactory(slow)(
      createInnerContext({ services: api.services, session: someone.session }),
    );
    const limit = api.services.env.HEAVY_CALLS_PER_CALLER;
    const running = Array.from({ length: limit }, () => caller.work());
    await expect(caller.work()).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    // The same person's Library searches are not held up by their heavy calls.
    const token = await accessTokenFor(t.db, someone.user.id, { secret: JWT_SECRET });
    expect((await search({ ip: freshIp(), token })).status).toBe(200);
    open();
    expect(await Promise.all(running)).toEqual(Array(limit).fill('done'));
    expect(await caller.work()).toBe('done');
  });
});
