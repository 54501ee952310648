import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, login, startTestApi } from './auth-helpers.ts';

/** The Ops console over HTTP with real sign-ins: who gets in, and with which scope. */
describe('ops over HTTP', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  let api: RunningApi;

  beforeAll(async () => {
    api = await startTestApi(t.url);
  });
  afterAll(() => api?.close());

  it('lets operators and org admins in (each with their scope) and keeps everyone else out', async () => {
    const org = await createTestOrg(t.db);
    const operator = await login(
      api,
      await createTestUser(t.db, { orgId: org.id, platformRole: 'operator' }),
    );
    const admin = await login(api, await createTestUser(t.db, { orgId: org.id, roles: ['admin'] }));
    const viewer = await login(api, await createTestUser(t.db, { orgId: org.id, roles: ['viewer'] }));

    const asOperator = await call<{ scope: string; queues: Array<{ name: string }> }>(api, 'ops.queues', {
      type: 'query',
      token: operator.accessToken,
    });
    expect(asOperator.status).toBe(200);
    expect(asOperator.data.scope).toBe('platform');
    expect(asOperator.data.queues.map((q) => q.name)).toEqual(
      expect.arrayContaining(['ops.pipeline-probe', 'ops.pipeline-probe.dead-letter']),
    );

    const asAdmin = await call<{ scope: string }>(api, 'ops.kpis', {
      type: 'query',
      token: admin.accessToken,
    });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.data.scope).toBe('org');
    const pause = await call(api, 'ops.pauseQueue', {
      input: { queue: 'ops.pipeline-probe' },
      token: admin.accessToken,
    });
    expect([pause.status, pause.code]).toEqual([403, 'FORBIDDEN']);

    const asViewer = await call(api, 'ops.queues', { type: 'query', token: viewer.accessToken });
    expect([asViewer.status, asViewer.code]).toEqual([403, 'FORBIDDEN']);
    const anonymous = await call(api, 'ops.queues', { type: 'query' });
    expect(anonymous.status).toBe(401);

    const paused = await call<{ paused: boolean }>(api, 'ops.pauseQueue', {
      input: { queue: 'ops.pipeline-probe' },
      token: operator.accessToken,
    });
    expect([paused.status, paused.data.paused]).toEqual([200, true]);
    const resumed = await call<{ paused: boolean }>(api, 'ops.resumeQueue', {
      input: { queue: 'ops.pipeline-probe' },
      token: operator.accessToken,
    });
    expect([resumed.status, resumed.data.paused]).toEqual([200, false]);
  });
});
