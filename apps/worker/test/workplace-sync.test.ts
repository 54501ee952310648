import { type RunningAimsSimulator, startAimsSimulator } from '@atrium/aims-simulator';
import type { Session } from '@atrium/domain/access/session';
import { REALTIME_PG_CHANNEL } from '@atrium/domain/realtime/wire';
import { configureAimsConnection, createAimsClients } from '@atrium/domain/workplace/connection';
import { startFullSync } from '@atrium/domain/workplace/full-sync';
import { probeAimsHealth } from '@atrium/domain/workplace/health';
import { assignPerson, createPerson } from '@atrium/domain/workplace/people';
import { createRoom, toggleMeeting } from '@atrium/domain/workplace/rooms';
import { createSpace, updateSpace } from '@atrium/domain/workplace/spaces';
import { metricValue, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, createTestUser, jobsOf, sessionOf } from '@atrium/testkit/factories';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testWorkerEnv } from '../src/testing.ts';
import { type RunningWorker, startWorker } from '../src/worker.ts';

/**
 * AIMS sync end to end (SPEC §9): the application's worker (relay, the workplace queues and their
 * handlers) against the AIMS simulator over a real socket, with its faults and its inspection of what
 * each label shows. The health probe and the reconciliation are the scheduler's built-in handlers;
 * here their domain functions are called directly, as the handlers do.
 */
const PASSWORD = 'aims-secret-passw0rd';
const STORE = 'HQ';
const FAST_RETRY = {
  baseDelayMs: 5,
  maxDelayMs: 40,
  maxAttempts: 4,
  maxElapsedMs: 5_000,
  maxRetryAfterMs: 1_000,
};

interface LiveEvent {
  type: string;
  orgId: string;
  payload: Record<string, unknown>;
}

describe('AIMS sync through the worker', { timeout: 120_000 }, () => {
  const t = useTestDatabase();
  let sim: RunningAimsSimulator;
  let worker: RunningWorker;
  let listener: PoolClient;
  const live: LiveEvent[] = [];
  const aims = createAimsClients({ retry: FAST_RETRY, requestTimeoutMs: 2_000 });

  /** An org with an admin (a manager session acts) and its own AIMS company. */
  const userOf = (company: string) => `sync@${company.toLowerCase()}.example`;

  async function org(company: string, settings: { store?: string } = {}) {
    const USERNAME = userOf(company);
    sim.control.provision({
      code: company,
      users: [{ username: USERNAME, password: PASSWORD }],
      stores: [STORE],
    });
    const orgId = (await createTestOrg(t.db, { name: company })).id;
    const admin = await createTestUser(t.db, { orgId, roles: ['admin'] });
    const session: Session = await sessionOf(t.db, admin.id);
    await configureAimsConnection({ db: t.db }, session, {
      baseUrl: sim.url,
      company,
      store: settings.store ?? STORE,
      username: USERNAME,
      password: PASSWORD,
    });
    return { orgId, session, company, admin };
  }

  const deps = () => ({ db: t.db, aims, realtime: worker.services.realtime });
  const articles = (company: string) =>
    new Map(sim.control.articles(company, STORE).map((a) => [a.articleId, a]));
  const labels = (company: string) =>
    new Map(sim.control.labels(company, STORE).map((l) => [l.labelCode, l]));
  const upserts = (company: string) =>
    (sim.control.calls(company).byEndpoint['POST /api/v2/common/articles']?.calls ?? 0) +
    (sim.control.calls(company).byEndpoint['PUT /api/v2/common/articles']?.calls ?? 0);

  async function statusOf(table: 'spaces' | 'conference_rooms', orgId: string) {
    return t.db
      .selectFrom(table)
      .select(['external_id', 'sync_status'])
      .where('org_id', '=', orgId)
      .orderBy('external_id')
      .execute();
  }
  async function allSynced(table: 'spaces' | 'conference_rooms', orgId: string, count: number) {
    await waitFor(
      async () => {
        const rows = await statusOf(table, orgId);
        return rows.length === count && rows.every((row) => row.sync_status === 'synced');
      },
      { what: `${count} ${table} synced`, timeoutMs: 60_000 },
    );
  }

  beforeAll(async () => {
    sim = await startAimsSimulator({ companies: [] });
    worker = await startWorker(testWorkerEnv(t.url), {
      aims: { retry: FAST_RETRY, requestTimeoutMs: 2_000 },
    });
    listener = await t.pool.connect();
    listener.on('notification', (n) => {
      if (n.channel === REALTIME_PG_CHANNEL && n.payload) live.push(JSON.parse(n.payload));
    });
    await listener.query(`LISTEN ${REALTIME_PG_CHANNEL}`);
  });
  afterAll(async () => {
    listener?.release();
    await worker?.stop();
    await sim?.close();
  });
  beforeEach(() => {
    live.length = 0;
  });

  it('an assignment updates both articles, and the badges turn synced live', async () => {
    const { orgId, session, company } = await org('ASSIGN');
    const a = await createSpace(deps(), session, {
      externalId: 'D-1',
      labelCode: 'AAAAAAAAAA01',
      data: { desk: 'D1' },
    });
    const b = await createSpace(deps(), session, {
      externalId: 'D-2',
      labelCode: 'AAAAAAAAAA02',
      data: { desk: 'D2' },
    });
    const ada = await createPerson(deps(), session, { data: { name: 'Ada Lovelace' } });
    await assignPerson(deps(), session, { personId: ada.id, spaceId: a.id });
    await allSynced('spaces', orgId, 2);
    expect(labels(company).get('AAAAAAAAAA01')?.articles[0]).toMatchObject({
      articleId: 'D-1',
      found: true,
      articleName: 'Ada Lovelace',
      data: { desk: 'D1', name: 'Ada Lovelace', ASSIGNED: '1' },
    });

    await assignPerson(deps(), session, { personId: ada.id, spaceId: b.id });
    await waitFor(async () => articles(company).get('D-2')?.data.name === 'Ada Lovelace', {
      what: 'D-2 shows Ada',
    });
    await allSynced('spaces', orgId, 2);
    expect(articles(company).get('D-1')?.data).toEqual({ desk: 'D1', ASSIGNED: '0' });
    expect(labels(company).get('AAAAAAAAAA02')?.articles[0]).toMatchObject({ articleName: 'Ada Lovelace' });
    expect(live.filter((e) => e.type === 'person.assigned').map((e) => e.payload)).toContainEqual({
      personId: ada.id,
      spaceId: b.id,
      previousSpaceId: a.id,
    });
    const synced = live.filter((e) => e.type === 'space.updated' && e.payload.syncStatus === 'synced');
    expect(new Set(synced.map((e) => e.payload.id))).toEqual(new Set([a.id, b.id]));
  });

  it('100 edits of one space cost a handful of AIMS calls and the label ends right', async () => {
    const { orgId, session, company } = await org('EDITS');
    const space = await createSpace(deps(), session, { externalId: 'E-1', labelCode: 'EEEEEEEEEE01' });
    await allSynced('spaces', orgId, 1);
    sim.control.clearCalls(company);
    sim.control.setFaults(company, { latencyMs: 150 }); // a job takes a while; edits pile up behind it
    for (let n = 1; n <= 100; n += 1) {
      await updateSpace(deps(), session, { id: space.id, data: { edit: n } });
    }
    await waitFor(async () => articles(company).get('E-1')?.data.edit === 100, {
      what: 'the last edit on AIMS',
      timeoutMs: 60_000,
    });
    await allSynced('spaces', orgId, 1);
    const calls = upserts(company);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(12);
    expect(labels(company).get('EEEEEEEEEE01')?.articles[0]).toMatchObject({
      found: true,
      data: { edit: 100 },
    });
    const jobs = await jobsOf(t.db, 'workplace.sync-space');
    expect(jobs.filter((j) => j.data.orgId === orgId).length).toBeLessThanOrEqual(13);
    console.info(`100 edits of one space → ${calls} article upserts`);
  });

  it('with 30 % 5xx and added latency everything syncs eventually and nothing is lost', async () => {
    const { orgId, session, company } = await org('FLAKY');
    sim.control.setFaults(company, { serverErrorRate: 0.3, latencyMs: 20, latencyJitterMs: 20 });
    for (let n = 1; n <= 20; n += 1) {
      await createSpace(deps(), session, { externalId: `F-${n}`, data: { n } });
    }
    const room = await createRoom(deps(), session, {
      externalId: 'R',
      roomName: 'Room R',
      labelCode: 'FFFFFFFFFF01',
    });
    await toggleMeeting(deps(), session, {
      id: room.id,
      hasMeeting: true,
      meetingName: 'Standup',
      startTime: '09:00',
      endTime: '09:15',
    });
    await allSynced('spaces', orgId, 20);
    await allSynced('conference_rooms', orgId, 1);
    const onAims = articles(company);
    for (let n = 1; n <= 20; n += 1) expect(onAims.get(`F-${n}`)?.data).toMatchObject({ n });
    expect(onAims.get('CR')?.data).toMatchObject({ MEETING: '1', MEETING_NAME: 'Standup' });
    expect(labels(company).get('FFFFFFFFFF01')).toMatchObject({ page: 2 });
    const statuses = sim.control.calls(company).byEndpoint['POST /api/v2/common/articles']?.statuses ?? {};
    expect(statuses['500'] ?? 0).toBeGreaterThan(0); // the faults really fired
    const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
    expect(
      metricValue(metrics, 'atrium_aims_calls_total', {
        endpoint: 'articles.upsert',
        outcome: 'server_error',
      }),
    ).toBeGreaterThan(0);
  });

  it('a token revoked mid-way is refreshed transparently', async () => {
    const { orgId, session, company } = await org('TOKEN');
    await createSpace(deps(), session, { externalId: 'T-1' });
    await allSynced('spaces', orgId, 1);
    sim.control.clearCalls(company);
    sim.control.setFaults(company, { revokeNextTokens: 1 });
    await createSpace(deps(), session, { externalId: 'T-2' });
    await allSynced('spaces', orgId, 2);
    const calls = sim.control.calls(company);
    expect(calls.byEndpoint['POST /api/v2/common/articles']?.statuses['401']).toBe(1);
    expect(calls.byEndpoint['POST /api/v2/common/articles']?.statuses['200']).toBeGreaterThanOrEqual(1);
    const jobs = (await jobsOf(t.db, 'workplace.sync-space')).filter((j) => j.data.orgId === orgId);
    expect(jobs.every((j) => j.retry_count === 0)).toBe(true); // the job never saw the 401
  });

  it('AIMS down → status down and jobs deferred with their attempts unchanged; up → the backlog flushes', async () => {
    const { orgId, session, company } = await org('DOWN');
    const probe = () => probeAimsHealth({ ...deps(), log: undefined }, { orgId });
    expect((await probe())[0]).toMatchObject({ status: 'up', changed: true });
    sim.control.setFaults(company, { down: true });
    expect((await probe())[0]).toMatchObject({ status: 'down', changed: true });
    expect((await probe())[0]).toMatchObject({ status: 'down', changed: false });
    const connection = await t.db
      .selectFrom('aims_connections')
      .selectAll()
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    expect(connection).toMatchObject({ status: 'down', paused: true });
    expect(live.filter((e) => e.type === 'aims.health').map((e) => e.payload.status)).toEqual(['up', 'down']);

    sim.control.clearCalls(company);
    for (let n = 1; n <= 3; n += 1) await createSpace(deps(), session, { externalId: `X-${n}` });
    await waitFor(
      async () => {
        const jobs = (await jobsOf(t.db, 'workplace.sync-space')).filter((j) => j.data.orgId === orgId);
        return jobs.length === 3 && jobs.every((j) => j.state === 'completed');
      },
      { what: 'three deferred jobs' },
    );
    const jobs = (await jobsOf(t.db, 'workplace.sync-space')).filter((j) => j.data.orgId === orgId);
    expect(jobs.map((j) => j.retry_count)).toEqual([0, 0, 0]);
    expect((await statusOf('spaces', orgId)).map((r) => r.sync_status)).toEqual([
      'pending',
      'pending',
      'pending',
    ]);
    expect(sim.control.calls(company).total).toBe(0); // nothing was even tried

    sim.control.setFaults(company, {});
    expect((await probe())[0]).toMatchObject({
      status: 'up',
      changed: true,
      requeued: { spaces: 3, rooms: 0 },
    });
    await allSynced('spaces', orgId, 3);
    expect([...articles(company).keys()].sort()).toEqual(['X-1', 'X-2', 'X-3']);
  });

  it('a permanent failure: dead letter, failed status, admin notice and incident; redrive works once fixed', async () => {
    const { orgId, session, company, admin } = await org('BROKEN', { store: 'NOPE' }); // AIMS: 405 Invalid Store Code
    const space = await createSpace(deps(), session, { externalId: 'B-1' });
    await waitFor(
      async () =>
        (
          await t.db
            .selectFrom('spaces')
            .select('sync_status')
            .where('id', '=', space.id)
            .executeTakeFirstOrThrow()
        ).sync_status === 'failed',
      { what: 'the space to fail' },
    );
    const row = await t.db
      .selectFrom('spaces')
      .selectAll()
      .where('id', '=', space.id)
      .executeTakeFirstOrThrow();
    expect(row.sync_error).toMatch(/Invalid Store Code/);
    await waitFor(
      async () =>
        (await jobsOf(t.db, 'workplace.sync-space.dead-letter')).some((j) => j.data.orgId === orgId),
      { what: 'the dead letter' },
    );
    const original = (await jobsOf(t.db, 'workplace.sync-space')).find((j) => j.data.orgId === orgId);
    expect(original?.retry_count).toBe(0); // permanent: no retries burnt
    await waitFor(
      async () =>
        (
          await t.db
            .selectFrom('notifications')
            .select(['template_key', 'channel'])
            .where('org_id', '=', orgId)
            .where('recipient_user_id', '=', admin.id)
            .where('template_key', '=', 'sync-failed')
            .execute()
        ).length === 2,
      { what: 'the admin notice (in-app and email)' },
    );
    await waitFor(
      () =>
        live.some(
          (e) =>
            e.type === 'incident.opened' &&
            e.orgId === orgId &&
            (e.payload as { source?: string; externalId?: string }).source === 'workplace.sync' &&
            (e.payload as { externalId?: string }).externalId === 'B-1',
        ),
      { what: 'the live incident event' },
    );
    // The dead letter is also a platform failure: the built-in dead-letter rule opens a real incident.
    await waitFor(
      async () =>
        (await t.db.selectFrom('incidents').select('id').where('org_id', '=', orgId).execute()).length === 1,
      { what: 'the incident row' },
    );

    // A second failure within the window notifies nobody again.
    await createSpace(deps(), session, { externalId: 'B-2' });
    await waitFor(async () => (await statusOf('spaces', orgId)).every((r) => r.sync_status === 'failed'), {
      what: 'B-2 failed',
    });
    await waitFor(
      async () =>
        (
          await t.db
            .selectFrom('inbox')
            .select('event_id')
            .where('consumer', '=', 'workplace.sync-failed-notice')
            .execute()
        ).length >= 2,
      {
        what: 'the second notice consumed',
      },
    );
    expect(
      await t.db
        .selectFrom('notifications')
        .select('id')
        .where('org_id', '=', orgId)
        .where('template_key', '=', 'sync-failed')
        .execute(),
    ).toHaveLength(2);

    // Fixed, the dead letters are redriven (Ops) and the spaces sync.
    await configureAimsConnection({ db: t.db }, session, {
      baseUrl: sim.url,
      company,
      store: STORE,
      username: userOf(company),
    });
    expect(await worker.boss.redrive('workplace.sync-space.dead-letter', {})).toBeGreaterThanOrEqual(2);
    await allSynced('spaces', orgId, 2);
    expect([...articles(company).keys()].sort()).toEqual(['B-1', 'B-2']);
  });

  it.each([
    ['server_wins', { 'K-1': 'ours', 'K-2': 'ours' }, { uploaded: 3, deleted: 1, conflicts: 2 }],
    ['aims_wins', { 'K-1': 'theirs', 'K-2': 'theirs' }, { uploaded: 1, deleted: 0, conflicts: 2 }],
    ['newest_wins', { 'K-1': 'theirs', 'K-2': 'ours' }, { uploaded: 2, deleted: 1, conflicts: 2 }],
  ] as const)('a full sync under %s', async (strategy, expected, counts) => {
    const company = `FULL${strategy.slice(0, 3).toUpperCase()}`;
    const { orgId, session } = await org(company);
    sim.control.setFaults(company, { down: true }); // keep the per-article jobs away while we stage
    await probeAimsHealth(deps(), { orgId });
    const k1 = await createSpace(deps(), session, { externalId: 'K-1', data: { v: 'ours' } });
    await createSpace(deps(), session, { externalId: 'K-3', data: { v: 'only here' } });
    sim.control.setFaults(company, {});
    const direct = aims.transient({
      baseUrl: sim.url,
      cluster: 'common',
      company,
      store: STORE,
      username: userOf(company),
      password: PASSWORD,
    });
    // K-1: AIMS changed after us. K-2: AIMS changed, then we did. ORPHAN: only on AIMS.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await direct.upsertArticles([
      { articleId: 'K-1', articleName: 'K-1', data: { v: 'theirs' } },
      { articleId: 'K-2', articleName: 'K-2', data: { v: 'theirs' } },
      { articleId: 'ORPHAN', articleName: 'Orphan', data: { v: 'orphan' } },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await t.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('spaces')
        .values({ org_id: orgId, external_id: 'K-2', data: JSON.stringify({ v: 'ours' }) })
        .execute();
    });
    await t.db
      .updateTable('aims_connections')
      .set({ conflict_strategy: strategy, paused: false, status: 'up' })
      .where('org_id', '=', orgId)
      .execute();

    const { runId } = await startFullSync(t.db, {
      orgId,
      trigger: 'manual',
      entities: ['spaces', 'rooms'],
      requestedBy: session.userId,
    });
    await waitFor(
      async () =>
        (
          await t.db
            .selectFrom('sync_runs')
            .select('status')
            .where('id', '=', runId)
            .executeTakeFirstOrThrow()
        ).status !== 'running',
      { what: 'the run to finish' },
    );
    const run = await t.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'succeeded', downloaded: 3, errors: 0, ...counts });
    const local = new Map(
      (
        await t.db
          .selectFrom('spaces')
          .select(['external_id', 'data', 'sync_status'])
          .where('org_id', '=', orgId)
          .execute()
      ).map((r) => [r.external_id, r]),
    );
    const remote = articles(company);
    for (const [id, side] of Object.entries(expected)) {
      const value = side === 'ours' ? 'ours' : 'theirs';
      expect(local.get(id)?.data).toMatchObject({ v: value });
      expect(remote.get(id)?.data.v).toBe(value);
    }
    expect(remote.get('K-3')?.data.v).toBe('only here');
    if (strategy === 'aims_wins') expect(local.get('ORPHAN')?.data).toEqual({ v: 'orphan' });
    else expect(remote.has('ORPHAN')).toBe(false);
    expect([...local.values()].every((r) => r.sync_status === 'synced')).toBe(true);
    expect(live.some((e) => e.type === 'sync.progress' && e.payload.runId === runId)).toBe(true);
    expect(live.find((e) => e.type === 'sync.completed' && e.payload.runId === runId)?.payload).toMatchObject(
      { status: 'succeeded' },
    );
    expect(k1.id).toBeTruthy();
  });
});
