import {
  defineCatalogue,
  defineEvent,
  defineEventQueue,
  type QueueCatalogue,
  writeOutboxEvent,
} from '@atrium/domain';
import { PLATFORM_AUDIT_CHAIN } from '@atrium/domain/audit/index';
import { sleep, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, jobsOf } from '@atrium/testkit/factories';
import { type QueueHandlers, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Services } from '../src/services.ts';
import {
  auditActions,
  effectCount,
  operatorSession,
  opsCaller,
  recordEffect,
  startOpsServices,
} from './ops-helpers.ts';

const Tick = defineEvent('OpsPauseTicked', z.object({ n: z.number().int() }));
const Tock = defineEvent('OpsPauseTocked', z.object({ n: z.number().int() }));
const PAUSABLE = 'test.pause.work';
const OTHER = 'test.pause.other';
const catalogue = defineCatalogue(
  defineEventQueue({ name: PAUSABLE, events: [Tick] }),
  defineEventQueue({ name: OTHER, events: [Tock] }),
);

/** Every handler run, to tell "lost" (never ran) and "ran twice" apart from the committed effects. */
const runs = new Map<string, number>();

function recordingHandler(): QueueHandlers<typeof catalogue>[typeof PAUSABLE] {
  return async (event, context) => {
    runs.set(event.eventId, (runs.get(event.eventId) ?? 0) + 1);
    await recordEffect(context, event.eventId);
  };
}
const handlers: QueueHandlers<typeof catalogue> = {
  [PAUSABLE]: recordingHandler(),
  [OTHER]: recordingHandler(),
};

describe('queue pause and resume (the worker honours them)', { timeout: 90_000 }, () => {
  const t = useTestDatabase();
  let services: Services;
  let orgId: string;
  let n = 0;

  async function emit(type: typeof Tick | typeof Tock, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      n += 1;
      const written = await t.db.transaction().execute((trx) =>
        writeOutboxEvent(trx, {
          orgId,
          type,
          aggregateType: 'tick',
          aggregateId: `t-${n}`,
          payload: { n },
        }),
      );
      ids.push(written.id);
    }
    return ids;
  }

  async function waiting(queue: string): Promise<number> {
    const list = await opsCaller(services, operatorSession(orgId)).queues();
    return list.queues.find((q) => q.name === queue)?.waiting ?? -1;
  }

  beforeAll(async () => {
    orgId = (await createTestOrg(t.db, { name: 'pause-org', bare: true })).id;
    services = await startOpsServices(t, catalogue as QueueCatalogue);
  });
  afterAll(() => services?.close());

  it('stops fetching a paused queue, lets jobs accumulate, and drains them all after resume', async () => {
    // Polling every minute: only the NOTIFY of the pause can make the worker react within the test.
    const worker = await startWorker(testWorkerEnv(t.url, { WORKER_CONTROLS_POLL_MS: '60000' }), {
      queues: { catalogue, handlers },
    });
    try {
      const op = opsCaller(services, operatorSession(orgId));
      const before = await emit(Tick, 3);
      await waitFor(async () => (await effectCount(t.db, PAUSABLE)) === 3, { what: 'the first jobs to run' });

      expect(await op.pauseQueue({ queue: PAUSABLE })).toMatchObject({ paused: true, changed: true });
      expect(await op.pauseQueue({ queue: PAUSABLE })).toMatchObject({ paused: true, changed: false });
      await waitFor(() => worker.pauses.paused().has(PAUSABLE), { what: 'the worker to see the pause' });
      await worker.pauses.sync();

      const during = await emit(Tick, 5);
      const other = await emit(Tock, 2);
      await waitFor(async () => (await waiting(PAUSABLE)) === 5, { what: 'five jobs waiting' });
      // The other queue is unaffected.
      await waitFor(async () => (await effectCount(t.db, OTHER)) === 2, { what: 'the other queue to run' });
      // Several poll intervals later nothing of the paused queue has run.
      await sleep(2_000);
      expect(await waiting(PAUSABLE)).toBe(5);
      expect(await effectCount(t.db, PAUSABLE)).toBe(3);
      expect((await op.queues()).queues.find((q) => q.name === PAUSABLE)).toMatchObject({
        paused: true,
        counts: { created: 5, active: 0, retry: 0, failed: 0 },
      });
      expect((await op.kpis()).pausedQueues).toBe(1);

      expect(await op.resumeQueue({ queue: PAUSABLE })).toMatchObject({ paused: false, changed: true });
      await waitFor(async () => (await effectCount(t.db, PAUSABLE)) === 8, { what: 'the backlog to drain' });
      // None lost, none doubled: every event ran once and had its effect once.
      for (const eventId of [...before, ...during]) {
        expect(runs.get(eventId)).toBe(1);
        expect(await effectCount(t.db, PAUSABLE, eventId)).toBe(1);
      }
      for (const eventId of other) expect(runs.get(eventId)).toBe(1);
      const jobs = await jobsOf(t.db, PAUSABLE);
      expect(jobs.map((j) => j.state)).toEqual(Array(8).fill('completed'));
      // An operator's actions: the platform audit chain.
      expect(await auditActions(t.db, PLATFORM_AUDIT_CHAIN)).toEqual([
        'ops.queue.paused',
        'ops.queue.resumed',
      ]);
    } finally {
      await worker.stop();
    }
  });

  it('keeps a queue paused across worker restarts: a new worker does not fetch it', async () => {
    const op = opsCaller(services, operatorSession(orgId));
    await op.pauseQueue({ queue: PAUSABLE });
    const queued = await emit(Tick, 4);
    // No worker runs; the relay of the next one publishes the events into the paused queue.
    const worker = await startWorker(testWorkerEnv(t.url), { queues: { catalogue, handlers } });
    try {
      await waitFor(async () => (await waiting(PAUSABLE)) === 4, { what: 'the events to be relayed' });
      await sleep(1_500);
      expect(await waiting(PAUSABLE)).toBe(4);
      for (const eventId of queued) expect(runs.get(eventId)).toBeUndefined();

      await op.resumeQueue({ queue: PAUSABLE });
      await waitFor(async () => (await effectCount(t.db, PAUSABLE)) === 12, { what: 'the backlog to drain' });
      for (const eventId of queued) expect(runs.get(eventId)).toBe(1);
    } finally {
      await worker.stop();
    }
  });
});
