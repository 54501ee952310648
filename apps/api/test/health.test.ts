import { Writable } from 'node:stream';
import { createLogger } from '@atrium/observability';
import { metricValue, redisAvailable, useTestDatabase } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../src/server.ts';
import { callProcedure, testApiEnv } from './helpers.ts';

describe('health, metrics and system.info', () => {
  const t = useTestDatabase();
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(testApiEnv(t.url));
  });
  afterAll(() => api.close());

  it('answers /health/live', async () => {
    const response = await fetch(`${api.url}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('answers /health/ready 200 with every check ok and timed', async () => {
    const response = await fetch(`${api.url}/health/ready`);
    const report = (await response.json()) as {
      status: string;
      checks: Record<string, { status: string; latencyMs: number }>;
    };
    expect(response.status).toBe(200);
    expect(report.status).toBe('ok');
    const expected = redisAvailable() ? ['aims', 'db', 'pgBoss', 'redis'] : ['aims', 'db', 'pgBoss'];
    expect(Object.keys(report.checks).sort()).toEqual(expected.sort());
    for (const check of Object.values(report.checks)) {
      expect(check.status).toBe('ok');
      expect(check.latencyMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('summarises AIMS per org, naming no org; an AIMS down is reported but leaves the API ready', async () => {
    const orgs = [(await createTestOrg(t.db)).id, (await createTestOrg(t.db)).id];
    for (const [i, orgId] of orgs.entries()) {
      await t.db
        .insertInto('aims_connections')
        .values({
          org_id: orgId,
          base_url: 'http://127.0.0.1:9',
          cluster: 'common',
          company: 'C',
          store: 'S',
          username: 'u',
          password_enc: Buffer.from('sealed'),
          field_mapping: '{}',
          status: i === 0 ? 'up' : 'down',
        })
        .execute();
    }
    const down = await fetch(`${api.url}/health/ready`);
    const report = (await down.json()) as {
      status: string;
      checks: Record<string, { status: string; error?: string }>;
    };
    // One tenant's external system must not pull every API replica out of rotation.
    expect(down.status).toBe(200);
    expect(report.status).toBe('ok');
    expect(report.checks.aims).toMatchObject({
      status: 'down',
      advisory: true,
      error: 'AIMS down for 1 of 2 connected orgs',
    });
    await t.db.updateTable('aims_connections').set({ status: 'up' }).execute();
    expect((await fetch(`${api.url}/health/ready`)).status).toBe(200);
    await t.db.deleteFrom('aims_connections').execute();
  });

  it('reports system.info with the active adapters', async () => {
    const { status, body } = await callProcedure(api.url, 'system.info');
    expect(status).toBe(200);
    expect(body.result?.data.json).toMatchObject({
      name: 'atrium',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      details: {
        environment: 'test',
        adapters: {
          database: { kind: 'postgres', source: 'DATABASE_URL' },
          redis: { kind: redisAvailable() ? 'redis' : 'in-process' },
          search: { kind: 'postgres' },
          objectStorage: { kind: 'local' },
          scanner: { kind: 'none' },
        },
      },
    });
  });

  it('exposes request latency by procedure in /metrics', async () => {
    await callProcedure(api.url, 'system.info');
    const response = await fetch(`${api.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(
      metricValue(text, 'atrium_trpc_procedure_duration_seconds_count', {
        procedure: 'system.info',
        type: 'query',
        code: 'OK',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(text, 'atrium_http_request_duration_seconds_count', {
        route: '/trpc',
        method: 'GET',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('echoes a request id, or makes one', async () => {
    const given = await fetch(`${api.url}/health/live`, { headers: { 'x-request-id': 'abc-12345678' } });
    expect(given.headers.get('x-request-id')).toBe('abc-12345678');
    const made = await fetch(`${api.url}/health/live`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('readiness when a dependency is down', () => {
  const t = useTestDatabase();
  let api: RunningApi;

  beforeAll(async () => {
    // Nothing listens on port 1: Redis is configured but unreachable.
    api = await startApi(testApiEnv(t.url, { REDIS_URL: 'redis://127.0.0.1:1' }));
  });
  afterAll(() => api.close());

  it('answers 503 degraded, naming the failed check, while the others stay ok', async () => {
    const response = await fetch(`${api.url}/health/ready`);
    const report = (await response.json()) as {
      status: string;
      checks: Record<string, { status: string; error?: string }>;
    };
    expect(response.status).toBe(503);
    expect(report.status).toBe('degraded');
    expect(report.checks.redis?.status).toBe('down');
    expect(report.checks.redis?.error).toBeTruthy();
    expect(report.checks.db?.status).toBe('ok');
  });

  it('keeps serving procedures', async () => {
    const { status } = await callProcedure(api.url, 'system.info');
    expect(status).toBe(200);
  });
});

describe('structured logs', () => {
  it('redact secrets wherever they sit', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ name: 'test', destination: sink });
    logger.info(
      {
        password: 'hunter2',
        input: { password: 'pw', token: 'tok' },
        req: { headers: { authorization: 'Bearer abc', cookie: 'rt=xyz' } },
        user: { refreshToken: 'r' },
      },
      'login',
    );
    const line = lines.join('');
    for (const secret of ['hunter2', '"pw"', '"tok"', 'Bearer abc', 'rt=xyz', '"r"'])
      expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
    expect(JSON.parse(line)).toMatchObject({ level: 'info', msg: 'login', process: 'test' });
  });
});
