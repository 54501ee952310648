import {
  defineCatalogue,
  defineEvent,
  defineEventQueue,
  type QueueCatalogue,
  writeOutboxEvent,
} from '@atrium/domain';
import { useTestDatabase, waitFor, waitUntilPublished } from '@atrium/testkit';
import { createTestOrg, jobsOf } from '@atrium/testkit/factories';
import { type QueueHandlers, type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { sql } from 'kysely';
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

const Noted = defineEvent('OpsOutboxNoted', z.object({ note: z.string() }));
const CONSUMER = 'test.outbox.consume';
const catalogue = defineCatalogue(defineEventQueue({ name: CONSUMER, events: [Noted] }));
const runs = new Map<string, number>();
const handlers: QueueHandlers<typeof catalogue> = {
  [CONSUMER]: async (event, context) => {
    runs.set(event.eventId, (runs.get(event.eventId) ?? 0) + 1);
    await recordEffect(context, event.eventId);
  },
};

describe('ops outbox: pending, failed, lag and replay', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  let services: Services;
  let worker: RunningWorker | undefined;
  let orgA: string;
  let orgB: string;
  const events: Record<string, string> = {};

  const operator = () => opsCaller(services, operatorSession(orgA));
  const adminA = () => opsCaller(services, orgAdminSession(orgA));

  async function note(orgId: string, text: string): Promise<string> {
    const written = await t.db.transaction().execute((trx) =>
      writeOutboxEvent(trx, {
        orgId,
        type: Noted,
        aggregateType: 'note',
        aggregateId: text,
        payload: { note: text },
      }),
    );
    return written.id;
  }

  beforeAll(async () => {
    orgA = (await createTestOrg(t.db, { name: 'outbox-a', bare: true })).id;
    orgB = (await createTestOrg(t.db, { name: 'outbox-b', bare: true })).id;
    services = await startOpsServices(t, catalogue as QueueCatalogue);
  });
  afterAll(async () => {
    await worker?.stop();
    await services?.close();
  });

  it('lists pending and failed events with the lag, scoped by org', async () => {
    events.failing = await note(orgA, 'failing');
    events.a = await note(orgA, 'plain-a');
    events.b = await note(orgB, 'plain-b');
    // What a relay leaves behind when an event's fan-out keeps failing (no worker runs yet).
    await sql`
      UPDATE outbox_events
      SET attempts = 3, last_error = 'Error: queue test.outbox.consume does not exist',
          created_at = now() - interval '30 seconds'
      WHERE id = ${events.failing}
    `.execute(t.db);

    const pending = await operator().outbox({ status: 'pending' });
    expect(pending.items.map((e) => e.id)).toEqual([events.failing, events.a, events.b]);
    expect(pending.summary).toMatchObject({ pending: 3, failed: 1 });
    expect(pending.summary.lagSeconds).toBeGreaterThanOrEqual(29);
    expect(pending.items[0]).toMatchObject({
      type: 'OpsOutboxNoted',
      attempts: 3,
      orgId: orgA,
      publishedAt: null,
    });

    const failed = await operator().outbox({ status: 'failed' });
    expect(failed.items).toEqual([
      expect.objectContaining({
        id: events.failing,
        lastError: 'Error: queue test.outbox.consume does not exist',
      }),
    ]);

    const page1 = await operator().outbox({ status: 'pending', limit: 2 });
    expect(page1.items).toHaveLength(2);
    const page2 = await operator().outbox({ status: 'pending', limit: 2, cursor: page1.nextCursor });
    expect(page2.items.map((e) => e.id)).toEqual([events.b]);
    expect(page2.nextCursor).toBeNull();

    const mine = await adminA().outbox({ status: 'pending' });
    expect(mine.items.map((e) => e.id)).toEqual([events.failing, events.a]);
    expect(mine.summary).toMatchObject({ pending: 2, failed: 1 });
    const theirs = await opsCaller(services, orgAdminSession(orgB)).outbox({ status: 'failed' });
    expect(theirs).toMatchObject({ items: [], summary: { pending: 1, failed: 0 } });
    expect((await adminA().kpis()).outbox.lagSeconds).toBeGreaterThanOrEqual(29);
  });

  it('replays a failed event (cleared for the relay) and answers 404 for another org', async () => {
    expect(await codeOf(adminA().outboxReplay({ id: events.b ?? '' }))).toBe('NOT_FOUND');
    expect(await codeOf(adminA().outboxReplay({ id: crypto.randomUUID() }))).toBe('NOT_FOUND');
    expect(await adminA().outboxReplay({ id: events.failing ?? '' })).toEqual({
      id: events.failing,
      mode: 'retry',
    });
    const row = await t.db
      .selectFrom('outbox_events')
      .select(['attempts', 'last_error', 'published_at'])
      .where('id', '=', events.failing ?? '')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ attempts: 0, last_error: null, published_at: null });
    expect((await operator().outbox({ status: 'failed' })).items).toEqual([]);

    worker = await startWorker(testWorkerEnv(t.url), { queues: { catalogue, handlers } });
    await waitFor(async () => (await effectCount(t.db, CONSUMER)) === 3, {
      what: 'every event to be handled',
    });
    const after = await operator().outbox({ status: 'pending' });
    expect(after).toMatchObject({ items: [], summary: { pending: 0, failed: 0, lagSeconds: 0 } });
    expect(await auditActions(t.db, orgA)).toEqual(['ops.outbox.replayed']);
  });

  it('re-publishes a published event without a duplicate job or a second effect', async () => {
    const eventId = events.a ?? '';
    const jobsBefore = (await jobsOf(t.db, CONSUMER)).filter((j) => j.data.eventId === eventId);
    expect(jobsBefore).toHaveLength(1);

    // While the first job exists, the deterministic job id makes the second enqueue a no-op.
    expect(await operator().outboxReplay({ id: eventId })).toEqual({ id: eventId, mode: 'republish' });
    await waitUntilPublished(t.db, [eventId], 'the event to be published again');
    expect((await jobsOf(t.db, CONSUMER)).filter((j) => j.data.eventId === eventId)).toEqual(jobsBefore);
    expect(runs.get(eventId)).toBe(1);

    // Once the job is gone (retention, or deleted), a replay enqueues it again; the consumer's inbox
    // turns the second delivery into a no-op.
    await operator().delete({ queue: CONSUMER, id: jobsBefore[0]?.id ?? '' });
    await operator().outboxReplay({ id: eventId });
    await waitFor(() => runs.get(eventId) === 2, { what: 'the replayed event to be delivered again' });
    expect(await effectCount(t.db, CONSUMER, eventId)).toBe(1);
    expect(await auditActions(t.db, orgA)).toEqual([
      'ops.outbox.replayed',
      'ops.outbox.replayed',
      'ops.job.deleted',
      'ops.outbox.replayed',
    ]);
  });
});
