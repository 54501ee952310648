import { inspect } from 'node:util';
import { type RunningAimsSimulator, seededRandom, startAimsSimulator } from '@atrium/aims-simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAimsClient } from '../../src/aims/client.ts';
import { AimsError } from '../../src/aims/errors.ts';
import type { AimsArticle, AimsCallEvent, AimsClientOptions } from '../../src/aims/types.ts';
import { ValidationError } from '../../src/errors.ts';
import { manualClock } from '../../src/platform/clock.ts';

const COMPANY = 'ATRIUM';
const STORE = 'HQ';
const USERNAME = 'sync@atrium.example';
const PASSWORD = 'aims-secret-password';

/** The simulator's time. Tests move it (and, when the client should notice, the client's clock too). */
let serverNow = Date.parse('2026-06-01T08:00:00Z');
let sim: RunningAimsSimulator;

beforeAll(async () => {
  sim = await startAimsSimulator({
    now: () => serverNow,
    random: seededRandom(7),
    companies: [
      { code: COMPANY, users: [{ username: USERNAME, password: PASSWORD }], stores: [STORE] },
      { code: 'C1CO', cluster: 'c1', users: [{ username: 'c1@example', password: 'pw' }], stores: ['S'] },
    ],
  });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.control.reset(COMPANY);
});

/** Small delays so retries take milliseconds; the defaults are covered in docs/aims.md. */
const FAST_RETRY = {
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxAttempts: 4,
  maxElapsedMs: 5_000,
  maxRetryAfterMs: 2_000,
};

/** The connection settings of the test company, as an org's aims_connections row would give them. */
const connection = () =>
  ({
    baseUrl: sim.url,
    cluster: 'common',
    company: COMPANY,
    store: STORE,
    username: USERNAME,
    password: PASSWORD,
  }) as const;

function client(overrides: Partial<AimsClientOptions> = {}) {
  const clock = manualClock(new Date(serverNow));
  const events: AimsCallEvent[] = [];
  const aims = createAimsClient({
    ...connection(),
    clock,
    retry: FAST_RETRY,
    requestTimeoutMs: 2_000,
    onCall: (event) => events.push(event),
    ...overrides,
  });
  return { aims, clock, events };
}

function articles(count: number, prefix = 'S'): AimsArticle[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}${String(i).padStart(5, '0')}`;
    return {
      articleId: id,
      articleName: `Desk ${id}`,
      nfcUrl: '',
      eans: [],
      data: { PERSON: `Person ${i}`, FLOOR: i % 7 },
    };
  });
}

const calls = (endpoint: string) =>
  sim.control.calls(COMPANY).byEndpoint[endpoint] ?? { calls: 0, statuses: {} };
const TOKEN = 'POST /api/v2/token';
const REFRESH = 'POST /api/v2/token/refresh';
const UPSERT = 'POST /api/v2/common/articles';
const LIST = 'GET /api/v2/common/articles';

async function rejection(promise: Promise<unknown>): Promise<AimsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AimsError);
  return error as AimsError;
}

describe('articles', () => {
  it('upserts 1,234 articles in 3 calls of at most 500 with one token, and pages them back', async () => {
    const { aims } = client();
    const sent = articles(1_234);
    expect(await aims.upsertArticles(sent)).toEqual({ batches: 3 });
    expect(calls(UPSERT)).toEqual({ calls: 3, statuses: { '200': 3 } });
    expect(calls(TOKEN).calls).toBe(1);
    expect(sim.control.articles(COMPANY, STORE)).toHaveLength(1_234);

    const pages = [];
    for await (const page of aims.articlePages()) pages.push(page);
    expect(pages.map((page) => page.articles.length)).toEqual([500, 500, 234]);
    expect(pages[0]?.total).toBe(1_234);
    const listed = pages.flatMap((page) => page.articles);
    expect(listed.map((article) => article.articleId)).toEqual(sent.map((article) => article.articleId));
    expect(listed[7]).toEqual({
      articleId: 'S00007',
      articleName: 'Desk S00007',
      nfcUrl: '',
      eans: [],
      data: { PERSON: 'Person 7', FLOOR: 0 },
      labelCount: 0,
      generateDate: expect.any(String),
      lastUpdated: expect.any(String),
    });
    // Still the first token: 3 upserts and 3 pages cost one token request.
    expect(calls(TOKEN).calls).toBe(1);
    expect(calls(LIST).calls).toBe(3);
  });

  it('reads an exact multiple of the page size until the 204 past the end, and an empty store as no pages', async () => {
    const { aims } = client();
    const empty = [];
    for await (const page of aims.articlePages()) empty.push(page);
    expect(empty).toEqual([]);
    expect(await aims.listArticles({ page: 3, size: 10 })).toEqual({
      page: 3,
      size: 10,
      total: 0,
      articles: [],
    });

    await aims.upsertArticles(articles(20));
    const pages = [];
    for await (const page of aims.articlePages({ size: 10 })) pages.push(page.articles.length);
    expect(pages).toEqual([10, 10]);
    expect(calls(LIST).statuses).toEqual({ '204': 3, '200': 2 });
  });

  it('deletes 1,234 ids in 3 calls; ids AIMS does not hold are no error', async () => {
    const { aims } = client();
    await aims.upsertArticles(articles(1_300));
    expect(await aims.deleteArticles([...articles(1_234).map((a) => a.articleId), 'NEVER-EXISTED'])).toEqual({
      batches: 3,
    });
    expect(calls('DELETE /api/v2/common/articles')).toEqual({ calls: 3, statuses: { '200': 3 } });
    expect(sim.control.articles(COMPANY, STORE).map((a) => a.articleId)).toEqual(
      articles(1_300)
        .slice(1_234)
        .map((a) => a.articleId),
    );
    expect(await aims.upsertArticles([])).toEqual({ batches: 0 });
  });
});

describe('labels', () => {
  it('links a label, flips its page and unlinks it; the simulator shows what the label displays', async () => {
    const { aims } = client();
    await aims.upsertArticles([{ articleId: 'C101', articleName: 'Orion', data: { MEETING: 'Planning' } }]);
    await aims.linkLabel('04507B0AC391', 'C101', { templateName: 'ROOM.xsl' });
    await aims.flipPage('04507B0AC391', 2);
    expect(sim.control.labels(COMPANY, STORE)).toEqual([
      expect.objectContaining({
        labelCode: '04507B0AC391',
        page: 2,
        templateName: 'ROOM.xsl',
        articles: [expect.objectContaining({ articleId: 'C101', data: { MEETING: 'Planning' } })],
      }),
    ]);
    await aims.unlinkLabel('04507B0AC391');
    expect(sim.control.labels(COMPANY, STORE)[0]?.articles).toEqual([]);
  });

  it('refuses pages outside 1..7 and empty codes before calling AIMS', async () => {
    const { aims, events } = client();
    await expect(aims.flipPage('04507B0AC391', 8)).rejects.toBeInstanceOf(ValidationError);
    await expect(aims.flipPage('', 1)).rejects.toBeInstanceOf(ValidationError);
    await expect(aims.linkLabel('04507B0AC391', [])).rejects.toBeInstanceOf(ValidationError);
    await expect(aims.upsertArticles([{ articleId: '' }])).rejects.toBeInstanceOf(ValidationError);
    await expect(aims.listArticles({ page: 0, size: 501 })).rejects.toBeInstanceOf(ValidationError);
    expect(events).toEqual([]);
  });
});

describe('tokens', () => {
  it('shares one token request among 20 concurrent calls (single flight)', async () => {
    sim.control.setFaults(COMPANY, { latencyMs: 30 });
    const { aims } = client();
    await Promise.all(Array.from({ length: 20 }, (_, page) => aims.listArticles({ page, size: 10 })));
    expect(calls(TOKEN).calls).toBe(1);
    expect(calls(LIST).calls).toBe(20);
  });

  it('renews a token the client sees expiring mid-batch with its refresh token, before AIMS would refuse it', async () => {
    const { aims, clock } = client({
      onCall: (event) => {
        // One hour passes, for both sides, after the first batch.
        if (event.endpoint === 'articles.upsert' && event.attempt === 1 && calls(UPSERT).calls === 1) {
          clock.advance(3_600_000);
          serverNow += 3_600_000;
        }
      },
    });
    await aims.upsertArticles(articles(1_234));
    expect(calls(UPSERT)).toEqual({ calls: 3, statuses: { '200': 3 } });
    expect(calls(TOKEN).calls).toBe(1);
    expect(calls(REFRESH)).toEqual({ calls: 1, statuses: { '200': 1 } });
  });

  it('recovers transparently when only AIMS knows the token expired mid-batch (401, new token, same call again)', async () => {
    const { aims } = client({
      onCall: (event) => {
        if (event.endpoint === 'articles.upsert' && calls(UPSERT).calls === 1) serverNow += 3_601_000;
      },
    });
    await aims.upsertArticles(articles(1_234));
    expect(calls(UPSERT)).toEqual({ calls: 4, statuses: { '200': 3, '401': 1 } });
    expect(calls(REFRESH)).toEqual({ calls: 1, statuses: { '200': 1 } });
    expect(sim.control.articles(COMPANY, STORE)).toHaveLength(1_234);
  });

  it('falls back to the password when the refresh token is refused too', async () => {
    sim.control.provision({ code: COMPANY, tokenLifetimeSeconds: 60, refreshTokenLifetimeSeconds: 60 });
    try {
      const { aims, clock } = client();
      await aims.listArticles({ page: 0, size: 1 });
      clock.advance(120_000);
      serverNow += 120_000;
      await aims.listArticles({ page: 0, size: 1 });
      expect(calls(REFRESH)).toEqual({ calls: 1, statuses: { '401': 1 } });
      expect(calls(TOKEN)).toEqual({ calls: 2, statuses: { '200': 2 } });
    } finally {
      sim.control.provision({
        code: COMPANY,
        tokenLifetimeSeconds: 3_600,
        refreshTokenLifetimeSeconds: 1_209_600,
      });
    }
  });

  it('retries a call once after a 401 (token revoked); a second 401 fails as a transient BAD_GATEWAY', async () => {
    const { aims } = client();
    await aims.listArticles({ page: 0, size: 1 });
    sim.control.setFaults(COMPANY, { revokeNextTokens: 1 });
    await aims.listArticles({ page: 0, size: 1 });
    expect(calls(LIST).statuses).toEqual({ '204': 2, '401': 1 });

    sim.control.setFaults(COMPANY, { revokeNextTokens: 2 });
    const error = await rejection(aims.listArticles({ page: 0, size: 1 }));
    expect(error).toMatchObject({ kind: 'unauthorized', code: 'BAD_GATEWAY', permanent: false, status: 401 });
    expect(calls(LIST).statuses['401']).toBe(3);
  });

  it('refuses wrong credentials with a clear permanent error, at once', async () => {
    const { aims } = client({ password: 'not-the-password' });
    const error = await rejection(aims.listArticles({ page: 0, size: 1 }));
    expect(error).toMatchObject({
      kind: 'credentials',
      code: 'BAD_GATEWAY',
      permanent: true,
      endpoint: 'token.issue',
      message: 'AIMS refused the username or password of this connection',
    });
    expect(error.details).toEqual({ service: 'AIMS' });
    expect(calls(TOKEN)).toEqual({ calls: 1, statuses: { '401': 1 } });
    expect(calls(LIST).calls).toBe(0);
  });

  it('testConnection requests a new token every time and checks company and store', async () => {
    const { aims } = client();
    await aims.upsertArticles(articles(3));
    expect(await aims.testConnection()).toEqual({ ms: expect.any(Number), articleCount: 3 });
    await aims.testConnection();
    expect(calls(TOKEN).calls).toBe(3);

    const wrongStore = client({ store: 'NOPE' }).aims;
    const error = await rejection(wrongStore.testConnection());
    expect(error).toMatchObject({ kind: 'rejected', permanent: true, status: 405 });
    expect(error.message).toBe('AIMS refused the request (405 Invalid Store Code)');
  });
});

describe('transient failures', () => {
  it('succeeds through 30 % 5xx with latency (seeded draws; retries stay inside each call)', async () => {
    sim.control.setFaults(COMPANY, { serverErrorRate: 0.3, latencyMs: 5, latencyJitterMs: 10 });
    const { aims, events } = client({ retry: { ...FAST_RETRY, maxAttempts: 6 } });
    await aims.upsertArticles(articles(5_000));
    for (let page = 1; page <= 7; page++) {
      await aims.upsertArticles([{ articleId: `C${page}` }]);
    }
    expect(sim.control.articles(COMPANY, STORE)).toHaveLength(5_007);
    const failed = events.filter((event) => event.outcome === 'server_error').length;
    expect(failed).toBeGreaterThan(0);
    expect(calls(UPSERT).statuses['200']).toBe(17);
    expect(calls(UPSERT).statuses['500']).toBe(failed - (calls(TOKEN).statuses['500'] ?? 0));
  });

  it('honours Retry-After on 429 (not its own shorter backoff)', async () => {
    const { aims } = client();
    await aims.listArticles({ page: 0, size: 1 });
    sim.control.setFaults(COMPANY, { rateLimitRate: 1, retryAfterSeconds: 1 });
    const started = performance.now();
    const listing = aims.listArticles({ page: 0, size: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    sim.control.setFaults(COMPANY, {});
    await listing;
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls(LIST).statuses).toEqual({ '204': 2, '429': 1 });
  });

  it('caps Retry-After and gives up as UNAVAILABLE with the server hint when 429s persist', async () => {
    sim.control.setFaults(COMPANY, { rateLimitRate: 1, retryAfterSeconds: 30 });
    const { aims } = client({ retry: { ...FAST_RETRY, maxAttempts: 3, maxRetryAfterMs: 100 } });
    const started = performance.now();
    const error = await rejection(aims.upsertArticles(articles(1)));
    expect(performance.now() - started).toBeLessThan(2_000);
    // The token request met the 429s first.
    expect(error).toMatchObject({
      kind: 'rate-limited',
      code: 'UNAVAILABLE',
      permanent: false,
      status: 429,
      attempts: 3,
      retryAfterMs: 30_000,
    });
  });

  it('fails fast as UNAVAILABLE when AIMS is hard down (connections destroyed), within the attempt bound', async () => {
    const { aims, events } = client();
    await aims.listArticles({ page: 0, size: 1 });
    sim.control.setFaults(COMPANY, { down: true });
    const started = performance.now();
    const error = await rejection(aims.upsertArticles(articles(10)));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toMatchObject({ kind: 'unreachable', code: 'UNAVAILABLE', permanent: false, attempts: 4 });
    expect(events.filter((event) => event.outcome === 'network_error')).toHaveLength(4);
  });

  it('fails fast as UNAVAILABLE when nothing listens (connection refused)', async () => {
    const gone = await startAimsSimulator();
    await gone.close();
    const { aims } = client({ baseUrl: gone.url });
    const started = performance.now();
    const error = await rejection(aims.listArticles({ page: 0, size: 1 }));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toMatchObject({
      kind: 'unreachable',
      code: 'UNAVAILABLE',
      permanent: false,
      endpoint: 'token.issue',
    });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('bounds hanging calls by the request timeout and the call budget', async () => {
    const { aims } = client({
      requestTimeoutMs: 150,
      retry: { ...FAST_RETRY, maxAttempts: 10, maxElapsedMs: 500 },
    });
    await aims.listArticles({ page: 0, size: 1 });
    sim.control.setFaults(COMPANY, { timeoutRate: 1 });
    const started = performance.now();
    const error = await rejection(aims.listArticles({ page: 0, size: 1 }));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(1_000);
    expect(error).toMatchObject({ kind: 'timeout', code: 'UNAVAILABLE', permanent: false });
    expect(error.attempts).toBeLessThanOrEqual(4);
  });

  it('stops retrying at once when the caller aborts, with the caller’s reason', async () => {
    sim.control.setFaults(COMPANY, { serverErrorRate: 1 });
    const { aims } = client({
      retry: { ...FAST_RETRY, baseDelayMs: 1_000, maxDelayMs: 1_000, maxAttempts: 10 },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('job cancelled')), 100);
    const started = performance.now();
    await expect(aims.listArticles({ page: 0, size: 1 }, { signal: controller.signal })).rejects.toThrow(
      'job cancelled',
    );
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('permanent refusals', () => {
  it('maps a 4xx to a permanent BAD_GATEWAY and does not retry it', async () => {
    const { aims } = client();
    const invalid = await rejection(
      aims.upsertArticles([{ articleId: 'X', data: { NESTED: { deep: true } as unknown as string } }]),
    );
    expect(invalid).toMatchObject({
      kind: 'rejected',
      code: 'BAD_GATEWAY',
      permanent: true,
      status: 405,
      attempts: 1,
    });
    expect(invalid.message).toBe(
      'AIMS refused the request (405 Parameter is invalid: [0].data.NESTED must be a string, number, boolean or null)',
    );
    expect(calls(UPSERT)).toEqual({ calls: 1, statuses: { '405': 1 } });

    const otherCompany = await rejection(client({ company: 'C1CO' }).aims.listArticles({ page: 0, size: 1 }));
    expect(otherCompany).toMatchObject({ kind: 'rejected', permanent: true, status: 403 });
    expect(otherCompany.message).toBe('AIMS refused the request (403 License Error)');

    const unknownLabel = await rejection(aims.flipPage('FFFFFFFFFFFF', 1));
    expect(unknownLabel).toMatchObject({
      kind: 'rejected',
      permanent: true,
      endpoint: 'labels.page',
      attempts: 1,
    });
  });
});

describe('connection settings', () => {
  it('composes base URL + cluster prefix + /api/v2 and talks to a c1 company on /c1/common', async () => {
    const c1 = client({ cluster: 'c1', company: 'C1CO', store: 'S', username: 'c1@example', password: 'pw' });
    expect(await c1.aims.testConnection()).toMatchObject({ articleCount: 0 });
    const wrongCluster = client({
      cluster: 'common',
      company: 'C1CO',
      store: 'S',
      username: 'c1@example',
      password: 'pw',
    });
    expect(await rejection(wrongCluster.aims.testConnection())).toMatchObject({ kind: 'credentials' });
    // A trailing slash on the base URL is fine.
    expect(await client({ baseUrl: `${sim.url}/` }).aims.testConnection()).toMatchObject({ articleCount: 0 });
  });

  it('refuses incomplete settings and a base URL that already carries the cluster path', () => {
    const settings = connection();
    expect(() => createAimsClient({ ...settings, baseUrl: `${sim.url}/common` })).toThrow(ValidationError);
    expect(() => createAimsClient({ ...settings, baseUrl: `${sim.url}/c1/common/` })).toThrow(
      ValidationError,
    );
    expect(() => createAimsClient({ ...settings, baseUrl: 'ftp://aims.example' })).toThrow(ValidationError);
    try {
      createAimsClient({ ...settings, store: '', cluster: 'eu' as 'common' });
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).fieldErrors).toEqual({
        store: ['required'],
        cluster: ['must be common or c1'],
      });
    }
  });
});

describe('secrets and metrics', () => {
  it('never puts the password or a token in errors, logs or the client object', async () => {
    const tokens: string[] = [];
    const lines: string[] = [];
    const record = (fields: Record<string, unknown>, message: string) =>
      lines.push(`${message} ${JSON.stringify(fields)}`);
    const { aims } = client({
      fetch: (input, init) => {
        const authorization = new Headers(init?.headers).get('authorization');
        if (authorization) tokens.push(authorization.replace('Bearer ', ''));
        return fetch(input, init);
      },
      log: { info: record, warn: record, error: record },
    });
    await aims.listArticles({ page: 0, size: 1 });
    sim.control.setFaults(COMPANY, { serverErrorRate: 1 });
    const error = await rejection(aims.listArticles({ page: 0, size: 1 }));
    expect(tokens.length).toBeGreaterThan(0);
    expect(lines.length).toBeGreaterThan(0);
    const exposed = [
      inspect(error, { depth: 5 }),
      JSON.stringify(error),
      lines.join('\n'),
      inspect(aims, { depth: 5 }),
    ].join('\n');
    for (const secret of [PASSWORD, ...tokens]) expect(exposed).not.toContain(secret);
  });

  it('reports every HTTP exchange to onCall, and a throwing hook does not fail the call', async () => {
    sim.control.setFaults(COMPANY, { revokeNextTokens: 1 });
    const { aims, events } = client();
    await aims.listArticles({ page: 0, size: 1 });
    expect(
      events.map(({ endpoint, outcome, status, attempt }) => ({ endpoint, outcome, status, attempt })),
    ).toEqual([
      { endpoint: 'token.issue', outcome: 'ok', status: 200, attempt: 1 },
      { endpoint: 'articles.list', outcome: 'unauthorized', status: 401, attempt: 1 },
      { endpoint: 'token.refresh', outcome: 'ok', status: 200, attempt: 1 },
      { endpoint: 'articles.list', outcome: 'ok', status: 204, attempt: 1 },
    ]);
    expect(events.every((event) => event.ms >= 0)).toBe(true);

    const throwing = client({
      onCall: () => {
        throw new Error('metrics broke');
      },
    });
    await expect(throwing.aims.listArticles({ page: 0, size: 1 })).resolves.toMatchObject({ total: 0 });
  });
});
