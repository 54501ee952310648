import {
  defineCatalogue,
  defineEvent,
  defineEventQueue,
  type QueueCatalogue,
  writeOutboxEvent,
} from '@atrium/domain';
import { PLATFORM_AUDIT_CHAIN } from '@atrium/domain/audit/index';
import { useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, jobsOf } from '@atrium/testkit/factories';
import { type QueueHandlers, type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Services } from '../src/services.ts';
import {
  auditActions,
  codeOf,
  effectCount,
  operatorSession,
  opsCaller,
  orgAdminSession,
  recordEffect,
  startOpsServices,
} from './ops-helpers.ts';

const WorkRequested = defineEvent(
  'OpsTestWorkRequested',
  z.object({ n: z.number().int(), label: z.string() }),
);
const IdleRequested = defineEvent('OpsTestIdleRequested', z.object({ n: z.number().int() }));

const WORK = 'test.ops.work';
const WORK_DLQ = 'test.ops.work.dead-letter';
const IDLE = 'test.ops.idle';

const catalogue = defineCatalogue(
  // Two attempts, no delay: a failing job reaches its dead letter within a poll or two.
  defineEventQueue({
    name: WORK,
    events: [WorkRequested],
    retryLimit: 1,
    retryDelaySeconds: 0,
    retryBackoff: false,
    retryDelayMaxSeconds: null,
  }),
  defineEventQueue({ name: IDLE, events: [IdleRequested] }),
);

/** Payload numbers whose handler throws until the test removes them. */
const failing = new Set<number>();

const handlers: QueueHandlers<typeof catalogue> = {
  [WORK]: async (event, context) => {
    if (failing.has(event.payload.n)) throw new Error(`refusing work item ${event.payload.n}`);
    await recordEffect(context, event.eventId);
  },
  [IDLE]: (event, context) => recordEffect(context, event.eventId),
};

describe('ops console API', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  let services: Services;
  let worker: RunningWorker;
  let orgA: string;
  let orgB: string;
  const startedAt = new Date();

  const operator = () => opsCaller(services, operatorSession(orgA));
  const adminA = () => opsCaller(services, orgAdminSession(orgA));

  async function emit(orgId: string, n: number, label = `item-${n}`): Promise<string> {
    const written = await t.db.transaction().execute((trx) =>
      writeOutboxEvent(trx, {
        orgId,
        type: WorkRequested,
        aggregateType: 'ops_test',
        aggregateId: `w-${n}`,
        payload: { n, label },
      }),
    );
    return written.id;
  }

  async function jobOf(queue: string, eventId: string) {
    return waitFor(async () => (await jobsOf(t.db, queue)).find((job) => job.data.eventId === eventId), {
      what: `the job of event ${eventId} in ${queue}`,
    });
  }

  beforeAll(async () => {
    orgA = (await createTestOrg(t.db, { name: 'org-a', bare: true })).id;
    orgB = (await createTestOrg(t.db, { name: 'org-b', bare: true })).id;
    worker = await startWorker(testWorkerEnv(t.url, { OPS_SAMPLE_SECONDS: '1' }), {
      queues: { catalogue, handlers },
    });
    services = await startOpsServices(t, catalogue as QueueCatalogue, {
      worker: worker.opsUrl,
      // Nothing listens there: the scheduler reads as down.
      scheduler: 'http://127.0.0.1:9',
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await services?.close();
  });

  it('lists every queue and its dead-letter queue with counts, throughput and oldest waiting', async () => {
    const events = [
      await emit(orgA, 1),
      await emit(orgA, 2),
      await emit(orgA, 3),
      await emit(orgB, 4),
      await emit(orgB, 5),
    ];
    await waitFor(async () => (await effectCount(t.db, WORK)) === events.length, { what: 'five effects' });

    const all = await operator().queues();
    expect(all.scope).toBe('platform');
    expect(all.queues.map((q) => [q.name, q.kind])).toEqual([
      [WORK, 'queue'],
      [WORK_DLQ, 'dead_letter'],
      [IDLE, 'queue'],
      [`${IDLE}.dead-letter`, 'dead_letter'],
    ]);
    const work = all.queues.find((q) => q.name === WORK);
    expect(work).toMatchObject({
      deadLetter: WORK_DLQ,
      counts: { created: 0, retry: 0, active: 0, completed: 5, cancelled: 0, failed: 0 },
      waiting: 0,
      oldestWaitingSeconds: null,
      paused: false,
      events: ['OpsTestWorkRequested'],
    });
    // 5 completions in a 300 s window.
    expect(work?.throughputPerMinute).toBe(1);
    expect(all.queues.find((q) => q.name === WORK_DLQ)?.sources).toEqual([WORK]);

    const mine = await adminA().queues();
    expect(mine.scope).toBe('org');
    expect(mine.queues.find((q) => q.name === WORK)?.counts.completed).toBe(3);
  });

  it('searches jobs by id, by JSON fragment and by text, and pages with a cursor', async () => {
    const jobs = await jobsOf(t.db, WORK);
    const target = jobs[1];
    if (!target) throw new Error('no jobs');

    const byId = await operator().jobs({ queue: WORK, search: target.id });
    expect(byId.items.map((j) => j.id)).toEqual([target.id]);

    const byFragment = await operator().jobs({ queue: WORK, search: '{"payload":{"n":4}}' });
    expect(byFragment.items).toHaveLength(1);
    expect(byFragment.items[0]).toMatchObject({
      orgId: orgB,
      eventType: 'OpsTestWorkRequested',
      state: 'completed',
    });

    const byText = await operator().jobs({ queue: WORK, search: 'ITEM-3' });
    expect(byText.items).toHaveLength(1);
    expect(byText.items[0]?.dataPreview).toContain('item-3');

    const completed = await operator().jobs({ queue: WORK, state: 'completed', limit: 2 });
    expect(completed.items).toHaveLength(2);
    const seen = completed.items.map((j) => j.id);
    let cursor = completed.nextCursor;
    while (cursor) {
      const page = await operator().jobs({ queue: WORK, state: 'completed', limit: 2, cursor });
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor;
    }
    expect(new Set(seen).size).toBe(5);
    expect(await operator().jobs({ queue: WORK, state: 'failed' })).toEqual({ items: [], nextCursor: null });

    const detail = await operator().job({ queue: WORK, id: target.id });
    expect(detail).toMatchObject({
      id: target.id,
      queue: WORK,
      state: 'completed',
      retryCount: 0,
      deadLetter: null,
    });
    expect(detail.data).toMatchObject({ eventId: target.data.eventId, orgId: target.data.orgId });
  });

  it("shows an org admin only their org's jobs and answers 404 for another org's job", async () => {
    const mine = await adminA().jobs({ queue: WORK });
    expect(mine.items).toHaveLength(3);
    expect(new Set(mine.items.map((j) => j.orgId))).toEqual(new Set([orgA]));

    const theirs = (await jobsOf(t.db, WORK)).find((job) => job.data.orgId === orgB);
    if (!theirs) throw new Error('no org B job');
    expect(await codeOf(adminA().job({ queue: WORK, id: theirs.id }))).toBe('NOT_FOUND');
    expect(await codeOf(adminA().delete({ queue: WORK, id: theirs.id }))).toBe('NOT_FOUND');
    expect(await codeOf(adminA().jobs({ queue: WORK, search: theirs.id }))).toBe('OK');
    expect((await adminA().jobs({ queue: WORK, search: theirs.id })).items).toEqual([]);
    // A queue outside the catalogue is not ours to look into.
    expect(await codeOf(operator().jobs({ queue: 'pgboss.somewhere' }))).toBe('NOT_FOUND');
  });

  it('refuses the console without ops.read, and queue controls to anyone but an operator', async () => {
    const viewer = opsCaller(services, orgAdminSession(orgA, []));
    expect(await codeOf(viewer.queues())).toBe('FORBIDDEN');
    expect(await codeOf(viewer.kpis())).toBe('FORBIDDEN');
    const reader = opsCaller(services, orgAdminSession(orgA, ['ops.read']));
    expect(await codeOf(reader.queues())).toBe('OK');
    expect(await codeOf(reader.retry({ queue: WORK, id: crypto.randomUUID() }))).toBe('FORBIDDEN');
    expect(await codeOf(adminA().pauseQueue({ queue: WORK }))).toBe('FORBIDDEN');
    expect(await codeOf(adminA().resumeQueue({ queue: WORK }))).toBe('FORBIDDEN');
    expect(await t.db.selectFrom('queue_controls').selectAll().execute()).toEqual([]);
  });

  it('redrives a dead letter to its source queue, where its handler runs it', async () => {
    failing.add(10);
    const eventId = await emit(orgA, 10);
    const deadLetter = await jobOf(WORK_DLQ, eventId);
    const source = await jobOf(WORK, eventId);
    await waitFor(async () => (await jobsOf(t.db, WORK)).find((j) => j.id === source.id)?.state === 'failed');
    expect(await effectCount(t.db, WORK, eventId)).toBe(0);

    const detail = await adminA().job({ queue: WORK_DLQ, id: deadLetter.id });
    expect(detail.deadLetter).toMatchObject({
      sourceQueue: WORK,
      sourceId: source.id,
      retryCount: 1,
      error: 'refusing work item 10',
    });
    const failedSource = await adminA().job({ queue: WORK, id: source.id });
    expect(failedSource.deadLetterCopies).toEqual([{ queue: WORK_DLQ, id: deadLetter.id, state: 'created' }]);

    const inbox = await adminA().inboxFailures();
    expect(inbox.consumers).toEqual([
      { consumer: WORK, events: ['OpsTestWorkRequested'], retrying: 0, deadLettered: 1 },
      { consumer: IDLE, events: ['OpsTestIdleRequested'], retrying: 0, deadLettered: 0 },
    ]);
    expect(inbox.items).toEqual([
      expect.objectContaining({
        consumer: WORK,
        kind: 'dead_letter',
        eventId,
        jobId: deadLetter.id,
        queue: WORK_DLQ,
        attempts: 2,
        lastError: 'refusing work item 10',
        processedAt: null,
      }),
    ]);
    expect((await opsCaller(services, orgAdminSession(orgB)).inboxFailures()).items).toEqual([]);

    failing.delete(10);
    const redriven = await adminA().redrive({ deadLetterQueue: WORK_DLQ, id: deadLetter.id });
    expect(redriven).toMatchObject({ deadLetterQueue: WORK_DLQ, id: deadLetter.id, queue: WORK });
    expect(redriven.newJobId).toEqual(expect.any(String));
    await waitFor(async () => (await effectCount(t.db, WORK, eventId)) === 1, {
      what: 'the redriven job to run',
    });
    await waitFor(
      async () => (await jobsOf(t.db, WORK)).find((j) => j.id === redriven.newJobId)?.state === 'completed',
    );
    expect((await jobsOf(t.db, WORK_DLQ)).filter((j) => j.data.eventId === eventId)).toEqual([]);
    expect(await auditActions(t.db, orgA)).toContain('ops.dead_letter.redriven');
    // A second redrive of the same dead letter finds nothing.
    expect(await codeOf(adminA().redrive({ deadLetterQueue: WORK_DLQ, id: deadLetter.id }))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(adminA().redrive({ deadLetterQueue: WORK, id: deadLetter.id }))).toBe(
      'VALIDATION_ERROR',
    );
  });

  it('retries a failed job, which completes, and removes its dead-letter copy', async () => {
    failing.add(11);
    const eventId = await emit(orgB, 11);
    const source = await jobOf(WORK, eventId);
    await jobOf(WORK_DLQ, eventId);
    await waitFor(async () => (await jobsOf(t.db, WORK)).find((j) => j.id === source.id)?.state === 'failed');
    expect(await codeOf(operator().retry({ queue: WORK, id: (await jobsOf(t.db, WORK))[0]?.id ?? '' }))).toBe(
      'UNPROCESSABLE',
    );

    failing.delete(11);
    const retried = await operator().retry({ queue: WORK, id: source.id });
    expect(retried).toEqual({ queue: WORK, id: source.id, state: 'retry', removedDeadLetters: 1 });
    await waitFor(async () => (await effectCount(t.db, WORK, eventId)) === 1, {
      what: 'the retried job to run',
    });
    await waitFor(
      async () => (await jobsOf(t.db, WORK)).find((j) => j.id === source.id)?.state === 'completed',
    );
    expect((await jobsOf(t.db, WORK_DLQ)).filter((j) => j.data.eventId === eventId)).toEqual([]);
    // Audited in the platform chain (an operator acted) and for the org whose job it was.
    expect(await auditActions(t.db, PLATFORM_AUDIT_CHAIN)).toContain('ops.job.retried');
    expect(await auditActions(t.db, orgB)).toContain('ops.job.retried');
  });

  it('redrives every dead letter at once (an org admin only their own)', async () => {
    failing.add(20);
    failing.add(21);
    const a = await emit(orgA, 20);
    const b = await emit(orgB, 21);
    await jobOf(WORK_DLQ, a);
    await jobOf(WORK_DLQ, b);
    failing.clear();

    expect(await adminA().redriveAll({ deadLetterQueue: WORK_DLQ })).toEqual({
      deadLetterQueue: WORK_DLQ,
      moved: 1,
    });
    await waitFor(async () => (await effectCount(t.db, WORK, a)) === 1);
    expect(await effectCount(t.db, WORK, b)).toBe(0);
    expect(await operator().redriveAll({ deadLetterQueue: WORK_DLQ })).toEqual({
      deadLetterQueue: WORK_DLQ,
      moved: 1,
    });
    await waitFor(async () => (await effectCount(t.db, WORK, b)) === 1);
  });

  it('cancels and deletes waiting jobs of a paused queue', async () => {
    const op = operator();
    expect(await op.pauseQueue({ queue: IDLE })).toMatchObject({ queue: IDLE, paused: true, changed: true });
    await waitFor(() => (!worker.pauses.paused().has(IDLE) ? false : worker.pauses.sync().then(() => true)));
    const events: string[] = [];
    for (const n of [1, 2, 3]) {
      const written = await t.db.transaction().execute((trx) =>
        writeOutboxEvent(trx, {
          orgId: orgA,
          type: IdleRequested,
          aggregateType: 'idle',
          aggregateId: `i-${n}`,
          payload: { n },
        }),
      );
      events.push(written.id);
    }
    const jobs = await waitFor(async () => {
      const rows = await jobsOf(t.db, IDLE);
      return rows.length === 3 && rows;
    });
    expect(jobs.map((j) => j.state)).toEqual(['created', 'created', 'created']);
    const [first, second] = jobs;
    if (!first || !second) throw new Error('no jobs');

    expect(await adminA().cancel({ queue: IDLE, id: first.id })).toEqual({
      queue: IDLE,
      id: first.id,
      state: 'cancelled',
    });
    expect(await codeOf(adminA().cancel({ queue: IDLE, id: first.id }))).toBe('UNPROCESSABLE');
    expect(await adminA().delete({ queue: IDLE, id: second.id })).toEqual({
      queue: IDLE,
      id: second.id,
      deleted: true,
    });
    expect(await codeOf(adminA().job({ queue: IDLE, id: second.id }))).toBe('NOT_FOUND');

    const queues = await op.queues();
    expect(queues.queues.find((q) => q.name === IDLE)).toMatchObject({
      paused: true,
      counts: { created: 1, cancelled: 1 },
      waiting: 1,
      oldestWaitingSeconds: expect.any(Number),
    });
    expect(await op.resumeQueue({ queue: IDLE })).toMatchObject({ paused: false, changed: true });
    await waitFor(async () => (await effectCount(t.db, IDLE)) === 1, { what: 'the remaining job to run' });
    expect(await effectCount(t.db, IDLE, events[2])).toBe(1);
    // The operator's pause and resume in the platform chain; the org admin's cancel and delete in theirs.
    expect(await auditActions(t.db, PLATFORM_AUDIT_CHAIN)).toEqual(
      expect.arrayContaining(['ops.queue.paused', 'ops.queue.resumed']),
    );
    expect(await auditActions(t.db, orgA)).toEqual(
      expect.arrayContaining(['ops.job.cancelled', 'ops.job.deleted']),
    );
  });

  it('reports KPIs and queue history after the traffic above', async () => {
    const kpis = await operator().kpis();
    expect(kpis).toMatchObject({
      scope: 'platform',
      queued: 0,
      active: 0,
      deadLetters: 0,
      pausedQueues: 0,
      oldestWaitingSeconds: null,
      outbox: { pending: 0, failed: 0, lagSeconds: 0 },
    });
    // Completed: 5 + 1 redriven + 1 retried + 2 redriven in bulk (work) + 1 (idle). Failed for good and
    // still failed: the sources of the three dead letters that were redriven (a retried job is not).
    expect(kpis.completedLastHour).toBe(10);
    expect(kpis.failedLastHour).toBe(3);
    const mine = await adminA().kpis();
    expect(mine.scope).toBe('org');
    expect(mine.completedLastHour).toBeLessThan(kpis.completedLastHour);

    // The worker samples every second; wait for a bucket after the last completion.
    const since = Date.now();
    await waitFor(
      async () => {
        const row = await t.db
          .selectFrom('ops_queue_samples')
          .select('captured_at')
          .where('captured_at', '>', new Date(since + 1000))
          .executeTakeFirst();
        return row !== undefined;
      },
      { what: 'a fresh queue sample' },
    );
    const history = await operator().queueHistory({
      queue: WORK,
      from: startedAt,
      to: new Date(),
      points: 30,
    });
    expect(history).toMatchObject({ queue: WORK, scope: 'platform' });
    expect(history.points.length).toBeGreaterThan(0);
    const completed = history.points.reduce((sum, p) => sum + p.completed, 0);
    expect(completed).toBeGreaterThan(0);
    expect(completed).toBeLessThanOrEqual(9);
    for (const point of history.points) {
      expect(point.at.getTime()).toBeGreaterThanOrEqual(startedAt.getTime() - history.bucketSeconds * 1000);
      expect(point.waiting).toBeGreaterThanOrEqual(0);
    }
    const mineHistory = await adminA().queueHistory({
      queue: WORK,
      from: startedAt,
      to: new Date(),
      points: 30,
    });
    const mineCompleted = mineHistory.points.reduce((sum, p) => sum + p.completed, 0);
    expect(mineCompleted).toBeLessThan(completed);
  });

  it('reports the health of the API, the worker and the scheduler', async () => {
    const health = await operator().health();
    expect(health.status).toBe('degraded');
    expect(health.processes.api?.status).toBe('ok');
    expect(health.processes.worker).toMatchObject({ status: 'ok', checks: { db: { status: 'ok' } } });
    expect(health.processes.scheduler).toMatchObject({ status: 'down', error: expect.any(String) });
  });
});
