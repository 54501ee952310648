import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiEnv } from '../src/env.ts';
import { createApp } from '../src/http.ts';
import { type RunningApi, startApi } from '../src/server.ts';
import { createServices, type Services } from '../src/services.ts';
import { bodyLimitFor } from '../src/transport.ts';
import { heavy, publicProcedure, router } from '../src/trpc.ts';
import { call, login, startTestApi } from './auth-helpers.ts';
import { callProcedure, testApiEnv } from './helpers.ts';

/**
 * Transport limits of SPEC §10, checked over real HTTP where they are enforced: before any procedure
 * runs. Each test was written against the API as it was before the limits and failed there.
 */
describe('transport limits', () => {
  const t = useTestDatabase();
  let api: RunningApi;

  beforeAll(async () => {
    api = await startTestApi(t.url);
  });
  afterAll(() => api.close());

  it('refuses a body over 1 MB with 413 before reading it all, even unauthenticated', async () => {
    const big = JSON.stringify({ json: { email: 'a'.repeat(2 * 1024 * 1024), password: 'x' } });
    const response = await fetch(`${api.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as {
      error: { json: { data: { code: string; httpStatus: number } } };
    };
    expect(body.error.json.data).toMatchObject({ code: 'VALIDATION_ERROR', httpStatus: 413 });
  });

  it('counts a chunked body (no Content-Length) against the same cap: 413', async () => {
    const chunk = new TextEncoder().encode('a'.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"json":{"email":"'));
        sent += chunk.length;
        if (sent > 3 * 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${api.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    const data = (
      (await response.json()) as { error: { json: { message: string; data: { httpStatus: number } } } }
    ).error.json;
    expect(data.data.httpStatus).toBe(413);
    expect(data.message).toBe('The request is larger than this endpoint accepts');
  });

  it('takes a larger cap only for a batch made entirely of declared bulk procedures', () => {
    expect(bodyLimitFor('/auth.login', 1000)).toBe(1000);
    expect(bodyLimitFor('/auth.login,users.me', 1000)).toBe(1000);
  });

  it('refuses a batch of more than 10 calls with 400, and serves one of 10', async () => {
    const paths = (n: number) => Array.from({ length: n }, () => 'system.info').join(',');
    const input = (n: number) =>
      encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))));
    const ok = await fetch(`${api.url}/trpc/${paths(10)}?batch=1&input=${input(10)}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as unknown[]).length).toBe(10);
    const tooMany = await fetch(`${api.url}/trpc/${paths(11)}?batch=1&input=${input(11)}`);
    expect(tooMany.status).toBe(400);
  });

  it('accepts POSTs only as application/json (form, multipart and text bodies → 415)', async () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
    ]) {
      const response = await fetch(`${api.url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: 'json={}',
      });
      expect(response.status, type).toBe(415);
    }
  });

  it('a cross-site form cannot sign a browser out: logout sent as a form leaves the session alive', async () => {
    const org = await createTestOrg(t.db);
    const user = await createTestUser(t.db, { orgId: org.id });
    const session = await login(api, user);
    const forged = await fetch(`${api.url}/trpc/auth.logout`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `atrium_rt=${session.refreshToken}`,
      },
      body: '',
    });
    expect(forged.status).toBe(415);
    const refreshed = await call(api, 'auth.refresh', { cookie: session.refreshToken });
    expect(refreshed.status).toBe(200);
  });

  it('sets the security headers on every response', async () => {
    for (const path of ['/health/live', '/trpc/system.info', '/nowhere']) {
      const response = await fetch(`${api.url}${path}`);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('referrer-policy'), path).toBe('strict-origin-when-cross-origin');
      expect(response.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      // COOKIE_SECURE is on by default.
      expect(response.headers.get('strict-transport-security'), path).toMatch(/max-age=\d+/);
    }
  });

  it('caps open event streams at 10 per user with 429, and frees a slot when one closes', async () => {
    const org = await createTestOrg(t.db);
    const user = await createTestUser(t.db, { orgId: org.id });
    const { accessToken } = await login(api, user);
    const url = `${api.url}/trpc/events.subscribe?connectionParams=${encodeURIComponent(JSON.stringify({ token: accessToken }))}`;
    const streams: AbortController[] = [];
    for (let i = 0; i < 10; i += 1) {
      const controller = new AbortController();
      const response = await fetch(url, {
        signal: controller.signal,
        headers: { accept: 'text/event-stream' },
      });
      expect(response.status).toBe(200);
      streams.push(controller);
    }
    const refused = await fetch(url, { headers: { accept: 'text/event-stream' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(
      ((await refused.json()) as { error: { json: { data: { code: string } } } }).error.json.data.code,
    ).toBe('RATE_LIMITED');
    streams.pop()?.abort();
    await waitFor(async () => {
      const again = await fetch(url, { headers: { accept: 'text/event-stream' } });
      if (again.status !== 200) {
        await again.body?.cancel();
        return false;
      }
      await again.body?.cancel();
      return true;
    });
    for (const controller of streams) controller.abort();
  });

  it('does not believe X-Forwarded-For unless TRUST_PROXY names the peer', async () => {
    const untrusting = await startApi(testApiEnv(t.url, { TRUST_PROXY: undefined }));
    try {
      const org = await createTestOrg(t.db);
      const user = await createTestUser(t.db, { orgId: org.id });
      const failed = await call(untrusting, 'auth.login', {
        input: { email: user.email, password: 'wrong-password-123' },
        ip: '203.0.113.77',
      });
      expect(failed.status).toBe(401);
      const entry = await t.db
        .selectFrom('audit_entries')
        .select('payload')
        .where('action', '=', 'auth.login.failed')
        .where('resource_id', '=', user.id)
        .executeTakeFirstOrThrow();
      expect((entry.payload as { ip: string }).ip).not.toBe('203.0.113.77');
    } finally {
      await untrusting.close();
    }
  });
});

describe('production exposure', () => {
  const t = useTestDatabase();
  const productionEnv = (extra: Record<string, string | undefined> = {}) =>
    parseApiEnv({
      NODE_ENV: 'production',
      DATABASE_URL: t.url,
      API_PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_POOL_SIZE: '3',
      JWT_SECRET: randomBytes(32).toString('hex'),
      NOTIFICATIONS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...extra,
    });

  it('an unset NODE_ENV means production: secrets are required', () => {
    expect(() => parseApiEnv({ DATABASE_URL: t.url })).toThrow(/JWT_SECRET: required in production/);
  });

  it('hides /metrics and readiness detail without the token, and shows them with it', async () => {
    const token = randomBytes(24).toString('hex');
    const api = await startApi(productionEnv({ METRICS_TOKEN: token, REDIS_URL: 'redis://127.0.0.1:1' }));
    try {
      expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
      const authorised = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(authorised.status).toBe(200);
      expect(await authorised.text()).toContain('process_resident_memory_bytes');

      const open = (await (await fetch(`${api.url}/health/ready`)).json()) as {
        status: string;
        checks: Record<string, Record<string, unknown>>;
      };
      expect(open.status).toBe('degraded');
      expect(open.checks.redis).toEqual({ status: 'down' });
      const detailed = (await (
        await fetch(`${api.url}/health/ready`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { checks: Record<string, { error?: string; latencyMs?: number }> };
      expect(detailed.checks.redis?.error).toBeTruthy();
      expect(detailed.checks.db?.latencyMs).toBeGreaterThanOrEqual(0);

      const info = await callProcedure(api.url, 'system.info');
      expect(info.body.result?.data.json).toEqual({
        name: 'atrium',
        version: expect.any(String),
        details: null,
      });
    } finally {
      await api.close();
    }
  });

  it('serves the web app with its CSP and never its source maps', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'atrium-dist-'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Atrium</title>');
    await writeFile(join(dist, 'app.js.map'), '{"version":3}');
    const api = await startApi(productionEnv({ WEB_DIST_DIR: dist }));
    try {
      const page = await fetch(`${api.url}/library`);
      expect(page.status).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect((await fetch(`${api.url}/app.js.map`)).status).toBe(404);
    } finally {
      await api.close();
      await rm(dist, { recursive: true, force: true });
    }
  });
});

describe('expensive procedures', () => {
  const t = useTestDatabase();
  let services: Services;
  let server: Server;
  let baseUrl: string;
  const gate = { open: () => {}, entered: 0 };
  let released = new Promise<void>((resolve) => {
    gate.open = resolve;
  });
  const testRouter = router({
    slow: publicProcedure.use(heavy).query(async () => {
      gate.entered += 1;
      await released;
      return 'done';
    }),
  });

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
    server = createApp(services, testRouter).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await services.close();
  });

  it('run at most 2 at once per caller (429 beyond) and never hold a slot after finishing', async () => {
    const ask = (ip: string) => callProcedure(baseUrl, 'slow', { headers: { 'x-forwarded-for': ip } });
    const first = ask('198.51.100.1');
    const second = ask('198.51.100.1');
    await waitFor(() => gate.entered === 2);
    const third = await ask('198.51.100.1');
    expect(third.status).toBe(429);
    expect(third.body.error?.json.data.code).toBe('RATE_LIMITED');
    // Another caller is not held up by the first one's calls.
    const other = ask('198.51.100.2');
    await waitFor(() => gate.entered === 3);
    gate.open();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect((await other).status).toBe(200);
    released = Promise.resolve();
    expect((await ask('198.51.100.1')).status).toBe(200);
  });
});
