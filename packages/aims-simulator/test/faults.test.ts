import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RunningAimsSimulator, seededRandom, startAimsSimulator } from '../src/index.ts';
import { aimsCall, articles, issueToken } from './aims-http.ts';

const COMPANY = 'ABC';
const OTHER = 'XYZ';
const STORE = 'ST001';
const USER = { username: 'sync@abc.example', password: 'pw' };
const store = { company: COMPANY, store: STORE };

let sim: RunningAimsSimulator;
let token: string;

beforeAll(async () => {
  sim = await startAimsSimulator({
    random: seededRandom(42),
    companies: [
      { code: COMPANY, users: [USER], stores: [STORE] },
      { code: OTHER, users: [{ username: 'xyz@example', password: 'pw' }], stores: ['S'] },
    ],
  });
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.control.reset(COMPANY);
  sim.control.reset(OTHER);
  token = (await issueToken(sim, USER.username, USER.password)).access_token;
  sim.control.clearCalls();
});

const list = (signal?: AbortSignal) =>
  aimsCall(sim, '/api/v2/common/articles', { token, query: store, ...(signal ? { signal } : {}) });

describe('fault switches (per company, at run time)', () => {
  it('serverErrorRate 1 answers every call with the chosen 5xx in the envelope; 0.3 about a third', async () => {
    sim.control.setFaults(COMPANY, { serverErrorRate: 1, serverErrorStatus: 503 });
    expect(await list()).toMatchObject({
      status: 503,
      body: { responseCode: '503', responseMessage: 'Service Unavailable' },
    });
    sim.control.setFaults(COMPANY, { serverErrorRate: 1 });
    expect(await list()).toMatchObject({
      status: 500,
      body: { responseCode: '500', responseMessage: 'Failed to process request operation' },
    });

    sim.control.setFaults(COMPANY, { serverErrorRate: 0.3 });
    sim.control.clearCalls(COMPANY);
    for (let i = 0; i < 200; i++) await list();
    const statuses = sim.control.calls(COMPANY).byEndpoint['GET /api/v2/common/articles']?.statuses ?? {};
    expect((statuses['500'] ?? 0) + (statuses['204'] ?? 0)).toBe(200);
    expect(statuses['500']).toBeGreaterThan(40);
    expect(statuses['500']).toBeLessThan(80);
  });

  it('faults of one company leave another alone', async () => {
    sim.control.setFaults(COMPANY, { serverErrorRate: 1, down: true });
    const other = await issueToken(sim, 'xyz@example', 'pw');
    const answer = await aimsCall(sim, '/api/v2/common/articles', {
      token: other.access_token,
      query: { company: OTHER, store: 'S' },
    });
    expect(answer.status).toBe(204);
  });

  it('rateLimitRate answers 429 Too Many Requests with Retry-After', async () => {
    sim.control.setFaults(COMPANY, { rateLimitRate: 1, retryAfterSeconds: 7 });
    const answer = await list();
    expect(answer).toMatchObject({
      status: 429,
      body: { responseCode: '429', responseMessage: 'Too Many Requests' },
    });
    expect(answer.headers.get('retry-after')).toBe('7');
  });

  it('latencyMs (+ jitter) delays every answer, token calls included', async () => {
    sim.control.setFaults(COMPANY, { latencyMs: 150, latencyJitterMs: 50 });
    for (const call of [() => list(), () => issueToken(sim, USER.username, USER.password)]) {
      const started = performance.now();
      await call();
      const ms = performance.now() - started;
      expect(ms).toBeGreaterThanOrEqual(145);
      expect(ms).toBeLessThan(1_000);
    }
  });

  it('timeoutRate leaves calls hanging until the client gives up; close() ends hanging calls', async () => {
    sim.control.setFaults(COMPANY, { timeoutRate: 1 });
    const started = performance.now();
    await expect(list(AbortSignal.timeout(200))).rejects.toThrow(/aborted|timeout/i);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(sim.control.calls(COMPANY).recent.at(-1)).toMatchObject({ status: 'timeout', fault: 'timeout' });

    const doomed = await startAimsSimulator({
      companies: [{ code: COMPANY, users: [USER], stores: [STORE] }],
    });
    const doomedToken = await issueToken(doomed, USER.username, USER.password);
    doomed.control.setFaults(COMPANY, { timeoutRate: 1 });
    const hanging = aimsCall(doomed, '/api/v2/common/articles', {
      token: doomedToken.access_token,
      query: store,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await doomed.close();
    await expect(hanging).rejects.toThrow();
  });

  it('revokeNextTokens: the next call finds its token revoked (401), later calls with it too; a new token works', async () => {
    sim.control.setFaults(COMPANY, { revokeNextTokens: 1 });
    expect(await list()).toMatchObject({
      status: 401,
      body: { responseCode: '401', responseMessage: 'Unauthorized' },
    });
    expect(sim.control.faults(COMPANY).revokeNextTokens).toBe(0);
    expect((await list()).status).toBe(401);
    token = (await issueToken(sim, USER.username, USER.password)).access_token;
    expect((await list()).status).toBe(204);
    expect(sim.control.calls(COMPANY).recent.map((call) => call.fault)).toEqual([
      'token-revoked',
      null,
      null,
      null,
    ]);
  });

  it('down destroys every connection without an answer, token calls included', async () => {
    sim.control.setFaults(COMPANY, { down: true });
    await expect(list()).rejects.toThrow(/fetch failed/);
    await expect(issueToken(sim, USER.username, USER.password)).rejects.toThrow(/fetch failed/);
    sim.control.setFaults(COMPANY, {});
    expect((await list()).status).toBe(204);
    expect(sim.control.calls(COMPANY).byEndpoint).toMatchObject({
      'GET /api/v2/common/articles': { calls: 2, statuses: { down: 1, '204': 1 } },
      'POST /api/v2/token': { calls: 1, statuses: { down: 1 } },
    });
  });

  it('setFaults replaces (fields left out are off) and refuses unknown fields and values out of range', () => {
    sim.control.setFaults(COMPANY, { latencyMs: 10, rateLimitRate: 0.5 });
    expect(sim.control.setFaults(COMPANY, { down: true })).toEqual({ ...NO_FAULTS, down: true });
    expect(() => sim.control.setFaults(COMPANY, { serverErrorRate: 2 })).toThrow(/from 0 to 1/);
    expect(() => sim.control.setFaults(COMPANY, { latency: 5 } as never)).toThrow(/unknown fault "latency"/);
    expect(() => sim.control.setFaults(COMPANY, { serverErrorStatus: 418 } as never)).toThrow(
      /500, 502, 503, 504/,
    );
    expect(() => sim.control.setFaults('NOPE', {})).toThrow(/unknown company NOPE/);
  });
});

describe('call log', () => {
  it('counts calls per company, endpoint and status: 100 articles in one call cost one call', async () => {
    await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: articles(100),
    });
    await list();
    await aimsCall(sim, '/api/v2/common/articles', { token: 'stale', query: store });
    const report = sim.control.calls(COMPANY);
    expect(report.total).toBe(3);
    expect(report.byEndpoint).toEqual({
      'POST /api/v2/common/articles': { calls: 1, statuses: { '200': 1 } },
      'GET /api/v2/common/articles': { calls: 2, statuses: { '200': 1, '401': 1 } },
    });
    expect(report.recent[0]).toMatchObject({
      cluster: 'common',
      endpoint: 'POST /api/v2/common/articles',
      status: 200,
    });
    expect(sim.control.calls(OTHER).total).toBe(0);
  });
});

describe('control API over HTTP', () => {
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sim.url}/__sim${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('provisions companies, switches faults, reads and clears calls, resets', async () => {
    const provisioned = await control('POST', '/companies', {
      code: 'NEW',
      cluster: 'c1',
      users: [{ username: 'new@example', password: 'secret-pw' }],
      stores: ['S1', 'S2'],
      tokenLifetimeSeconds: 5,
    });
    expect(provisioned).toEqual({
      status: 200,
      body: {
        code: 'NEW',
        cluster: 'c1',
        usernames: ['new@example'],
        tokenLifetimeSeconds: 5,
        refreshTokenLifetimeSeconds: 1_209_600,
        stores: [
          { code: 'S1', articles: 0, labels: 0 },
          { code: 'S2', articles: 0, labels: 0 },
        ],
        faults: NO_FAULTS,
      },
    });
    expect(JSON.stringify((await control('GET', '/companies')).body)).not.toContain('secret-pw');
    expect((await issueToken(sim, 'new@example', 'secret-pw', 'c1')).expires_in).toBe(5);

    expect(await control('POST', '/faults', { company: COMPANY, serverErrorRate: 1 })).toMatchObject({
      status: 200,
      body: { serverErrorRate: 1, down: false },
    });
    expect((await list()).status).toBe(500);
    expect(await control('GET', `/faults?company=${COMPANY}`)).toMatchObject({
      body: { serverErrorRate: 1 },
    });
    expect(await control('GET', `/calls?company=${COMPANY}`)).toMatchObject({
      body: { total: 1, byEndpoint: { 'GET /api/v2/common/articles': { calls: 1, statuses: { '500': 1 } } } },
    });
    expect((await control('DELETE', `/calls?company=${COMPANY}`)).status).toBe(200);
    expect(sim.control.calls(COMPANY).total).toBe(0);

    expect(await control('POST', '/reset', { company: COMPANY })).toEqual({
      status: 200,
      body: { reset: COMPANY },
    });
    expect(sim.control.faults(COMPANY)).toEqual(NO_FAULTS);
    // A reset revokes the company's tokens.
    expect((await list()).status).toBe(401);
  });

  it('answers 400 with a reason for bad control requests, 404 for unknown ones', async () => {
    expect(await control('POST', '/faults', { company: COMPANY, timeoutRate: -1 })).toEqual({
      status: 400,
      body: { error: 'timeoutRate must be a number from 0 to 1' },
    });
    expect((await control('POST', '/faults', { serverErrorRate: 1 })).status).toBe(400);
    expect((await control('POST', '/companies', { code: 'bad code!' })).status).toBe(400);
    expect((await control('POST', '/companies', { code: 'DUP', users: [USER] })).body).toEqual({
      error: `user ${USER.username} belongs to company ${COMPANY}`,
    });
    expect((await control('GET', '/labels?company=ABC')).status).toBe(400);
    expect((await control('GET', '/nothing')).status).toBe(404);
  });
});
