import {
  consumeOnce,
  defineCatalogue,
  defineEvent,
  defineEventQueue,
  type EventEnvelope,
  UnprocessableError,
  writeOutboxEvent,
} from '@atrium/domain';
import {
  metricValue,
  sleep,
  unpublishEvents,
  useTestDatabase,
  waitFor,
  waitUntilPublished,
} from '@atrium/testkit';
import { jobsOf, startTestBoss } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HandlerContext, QueueHandlers } from '../src/job-runner.ts';
import { createOutboxRelay, type OutboxRelay } from '../src/relay.ts';
import { testWorkerEnv } from '../src/testing.ts';
import { type RunningWorker, startWorker } from '../src/worker.ts';
import { createEffectsTable, type EffectsTable, effectsOf } from './helpers.ts';

const Deposited = defineEvent('Deposited', z.object({ accountId: z.string(), amount: z.number().int() }));
const Flaked = defineEvent('Flaked', z.object({ note: z.string() }));
const Stepped = defineEvent('Stepped', z.object({ n: z.number().int() }));
const RuleBroken = defineEvent('RuleBroken', z.object({}));
const Nudged = defineEvent('Nudged', z.object({ n: z.number().int() }));

const catalogue = defineCatalogue(
  defineEventQueue({ name: 'test.ledger', events: [Deposited], retryDelaySeconds: 1, retryLimit: 3 }),
  defineEventQueue({ name: 'test.mailer', events: [Deposited], retryDelaySeconds: 1 }),
  defineEventQueue({
    name: 'test.flaky',
    events: [Flaked],
    retryLimit: 2,
    retryDelaySeconds: 1,
    retryBackoff: true,
    retryDelayMaxSeconds: 4,
  }),
  defineEventQueue({ name: 'test.steps', events: [Stepped], ordered: true }),
  defineEventQueue({ name: 'test.rules', events: [RuleBroken], retryLimit: 5 }),
  defineEventQueue({ name: 'test.coalesced', events: [Nudged], coalesce: true, retryLimit: 3 }),
);

/** Handler invocations per queue and event, to tell "ran twice" from "had effect twice". */
const invocations = new Map<string, number>();
const failAfterEffectsOnce = new Set<string>();
const stepsSeen: Array<{ aggregateId: string; n: number }> = [];
/** The coalesced handler's runs, and the gate that holds its first run until the test opens it. */
const nudgesRun: number[] = [];
let openNudgeGate: (() => void) | null = null;

async function recordEffect(event: EventEnvelope, { db, job }: HandlerContext, note = ''): Promise<void> {
  const key = `${job.queue}:${event.eventId}`;
  invocations.set(key, (invocations.get(key) ?? 0) + 1);
  await consumeOnce(db, { consumer: job.queue, eventId: event.eventId }, (trx) =>
    trx
      .withTables<EffectsTable>()
      .insertInto('effects')
      .values({ consumer: job.queue, event_id: event.eventId, note })
      .execute(),
  );
}

const handlers: QueueHandlers<typeof catalogue> = {
  'test.ledger': async (event, context) => {
    await recordEffect(event, context);
    // Fails after its effects committed, as a handler whose last step (say, a cache refresh) throws.
    if (failAfterEffectsOnce.delete(event.eventId)) throw new Error('failed after the effects');
  },
  'test.mailer': (event, context) => recordEffect(event, context),
  'test.flaky': async () => {
    throw new Error('always failing');
  },
  'test.rules': async () => {
    throw new UnprocessableError('this can never be done');
  },
  'test.coalesced': async (event) => {
    nudgesRun.push(event.payload.n);
    if (event.payload.n !== 1) return;
    await new Promise<void>((resolve) => {
      openNudgeGate = resolve;
    });
    throw new Error('the remote system is unreachable');
  },
  'test.steps': async (event, context) => {
    await recordEffect(event, context, String(event.payload.n));
    stepsSeen.push({ aggregateId: event.aggregateId, n: event.payload.n });
  },
};

// Real retries and backoff: a test may take several seconds (vitest's per-project default is 5 s).
describe('delivery through the worker', { timeout: 20_000 }, () => {
  const t = useTestDatabase();
  let worker: RunningWorker;
  let boss: PgBoss;
  let injectFaults = 0;

  const deposit = (accountId: string, amount = 10) =>
    t.db.transaction().execute((trx) =>
      writeOutboxEvent(trx, {
        orgId: null,
        type: Deposited,
        aggregateType: 'account',
        aggregateId: accountId,
        payload: { accountId, amount },
      }),
    );
  const effectCounts = async (eventId: string) => {
    const rows = await effectsOf(t.db, eventId);
    return {
      ledger: rows.filter((r) => r.consumer === 'test.ledger').length,
      mailer: rows.filter((r) => r.consumer === 'test.mailer').length,
    };
  };
  const jobsFor = async (eventId: string) =>
    (await jobsOf(t.db, 'test.ledger', 'test.mailer')).filter((j) => j.data.eventId === eventId);

  beforeAll(async () => {
    await createEffectsTable(t.db);
    worker = await startWorker(testWorkerEnv(t.url), {
      queues: { catalogue, handlers },
      relayHooks: {
        // Only a batch that publishes something fails: the relay's empty polls run this hook too, and
        // one of them would otherwise take the fault before the test's event is even written.
        beforeCommit: (published) => {
          if (injectFaults > 0 && published.length > 0) {
            injectFaults -= 1;
            throw new Error('injected fault before commit');
          }
        },
      },
    });
    boss = await startTestBoss(t.url);
  });
  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false });
  });

  it('delivers once to each subscriber when the relay fails after enqueuing and runs again', async () => {
    injectFaults = 1;
    const event = await deposit('acc-a');
    await waitFor(
      async () => {
        const counts = await effectCounts(event.id);
        return counts.ledger === 1 && counts.mailer === 1;
      },
      { what: 'both subscribers to run' },
    );
    const row = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('id', '=', event.id)
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain('injected fault before commit');
    expect(row.published_at).not.toBeNull();
    expect((await jobsFor(event.id)).map((j) => j.name).sort()).toEqual(['test.ledger', 'test.mailer']);
    expect(injectFaults).toBe(0);
  });

  it('delivers once when published_at is reset and the relay runs again, even after the jobs are gone', async () => {
    const event = await deposit('acc-b');
    await waitFor(
      async () =>
        (await jobsFor(event.id)).every((j) => j.state === 'completed') &&
        (await jobsFor(event.id)).length === 2,
      {
        what: 'the first delivery',
      },
    );
    const republish = async () => {
      await unpublishEvents(t.db, [event.id]);
      worker.relay.wake();
      await waitUntilPublished(t.db, [event.id], 'the relay to publish again');
    };

    // While the completed jobs exist, their deterministic ids make the second enqueue a no-op.
    await republish();
    await sleep(300);
    expect(await jobsFor(event.id)).toHaveLength(2);
    expect(invocations.get(`test.ledger:${event.id}`)).toBe(1);

    // Once retention has removed them, new jobs are created and run — and the inbox absorbs them.
    await sql`DELETE FROM pgboss.job WHERE data->>'eventId' = ${event.id}`.execute(t.db);
    await republish();
    await waitFor(
      () =>
        invocations.get(`test.mailer:${event.id}`) === 2 && invocations.get(`test.ledger:${event.id}`) === 2,
      {
        what: 'the redelivery to run',
      },
    );
    await waitFor(async () => (await jobsFor(event.id)).every((j) => j.state === 'completed'), {
      what: 'completion',
    });
    expect(await effectCounts(event.id)).toEqual({ ledger: 1, mailer: 1 });
  });

  it('delivers once when the handler throws after its effects and the job is retried, or runs twice at once', async () => {
    const event = await deposit('acc-c');
    failAfterEffectsOnce.add(event.id);
    await waitFor(
      async () => (await jobsFor(event.id)).find((j) => j.name === 'test.ledger' && j.state === 'completed'),
      {
        what: 'the retried ledger job to complete',
      },
    );
    const ledgerJob = (await jobsFor(event.id)).find((j) => j.name === 'test.ledger');
    expect(ledgerJob?.retry_count).toBe(1);
    expect(invocations.get(`test.ledger:${event.id}`)).toBe(2);

    // The same event handled twice concurrently (two workers holding duplicate deliveries).
    const envelope = ledgerJob?.data as unknown as EventEnvelope<
      'Deposited',
      { accountId: string; amount: number }
    >;
    const context = (n: number): HandlerContext => ({
      db: t.db,
      logger: worker.logger,
      services: worker.services,
      job: { id: `dup-${n}`, queue: 'test.mailer', retryCount: 0, signal: new AbortController().signal },
    });
    await Promise.all([
      handlers['test.mailer'](envelope, context(1)),
      handlers['test.mailer'](envelope, context(2)),
    ]);
    expect(await effectCounts(event.id)).toEqual({ ledger: 1, mailer: 1 });
  });

  it('retries a failing handler with growing, jittered delays, then dead-letters it', async () => {
    const event = await t.db.transaction().execute((trx) =>
      writeOutboxEvent(trx, {
        orgId: null,
        type: Flaked,
        aggregateType: 'flake',
        aggregateId: 'f-1',
        payload: { note: 'x' },
      }),
    );
    // Watch the job between attempts: after a failure it waits in `retry` until start_after.
    const delays = new Map<number, number>();
    let job: Awaited<ReturnType<typeof boss.findJobs>>[number] | undefined;
    await waitFor(
      async () => {
        [job] = await boss.findJobs('test.flaky', { data: { eventId: event.id } });
        if (job?.state === 'retry' && !delays.has(job.retryCount) && job.completedOn === null) {
          const output = job.output as { message?: string } | null;
          if (output?.message === 'always failing') {
            // Delay as scheduled by the failure: start_after minus when the attempt failed (≈ now).
            delays.set(job.retryCount, (job.startAfter.getTime() - Date.now()) / 1000);
          }
        }
        return job?.state === 'failed';
      },
      { timeoutMs: 15_000, intervalMs: 25, what: 'the job to exhaust its retries' },
    );
    expect(job?.retryCount).toBe(2);
    const first = delays.get(0) ?? Number.NaN;
    const second = delays.get(1) ?? Number.NaN;
    // retryDelay 1 s with backoff: 1–2 s before the first retry, 2–4 s (capped at 4) before the second.
    expect(first).toBeGreaterThan(0.5);
    expect(first).toBeLessThanOrEqual(2.05);
    expect(second).toBeGreaterThan(1.5);
    expect(second).toBeLessThanOrEqual(4.05);
    expect(second).toBeGreaterThan(first);

    const [dead] = await boss.findJobs('test.flaky.dead-letter', { data: { eventId: event.id } });
    expect(dead).toMatchObject({
      sourceName: 'test.flaky',
      sourceId: job?.id,
      sourceRetryCount: 2,
      state: 'created',
    });
    const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
    expect(
      metricValue(metrics, 'atrium_job_duration_seconds_count', { queue: 'test.flaky', outcome: 'retry' }),
    ).toBe(2);
    expect(
      metricValue(metrics, 'atrium_job_duration_seconds_count', {
        queue: 'test.flaky',
        outcome: 'dead_letter',
      }),
    ).toBe(1);
  });

  it('sends a job whose payload does not match the queue schema straight to the dead letter', async () => {
    const id = (await boss.send('test.ledger', { not: 'an envelope' })) ?? '';
    expect(id).not.toBe('');
    await waitFor(async () => (await boss.findJobs('test.ledger', { id }))[0]?.state === 'failed', {
      what: 'the invalid job to fail',
    });
    const [failed] = await boss.findJobs('test.ledger', { id });
    expect(failed?.retryCount).toBe(0);
    const [dead] = await boss.findJobs('test.ledger.dead-letter', { data: { not: 'an envelope' } });
    expect(dead?.sourceId).toBe(id);
    const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
    expect(
      metricValue(metrics, 'atrium_job_duration_seconds_count', { queue: 'test.ledger', outcome: 'invalid' }),
    ).toBe(1);
  });

  it('dead-letters at once a job failing with an error that retrying cannot fix', async () => {
    const event = await t.db.transaction().execute((trx) =>
      writeOutboxEvent(trx, {
        orgId: null,
        type: RuleBroken,
        aggregateType: 'rule',
        aggregateId: 'r-1',
        payload: {},
      }),
    );
    const [dead] = await waitFor(
      () =>
        boss
          .findJobs('test.rules.dead-letter', { data: { eventId: event.id } })
          .then((j) => (j.length > 0 ? j : null)),
      {
        what: 'the dead letter',
      },
    );
    expect(dead).toMatchObject({ sourceName: 'test.rules', sourceRetryCount: 0 });
    expect(dead?.sourceOutput).toMatchObject({ code: 'UNPROCESSABLE', message: 'this can never be done' });
  });

  it('completes a coalesced job that fails while a newer one for its key waits, instead of dead-lettering it', async () => {
    const nudge = (n: number) =>
      t.db.transaction().execute((trx) =>
        writeOutboxEvent(trx, {
          orgId: null,
          type: Nudged,
          aggregateType: 'article',
          aggregateId: 'A-1',
          payload: { n },
        }),
      );
    const first = await nudge(1);
    await waitFor(() => openNudgeGate !== null, { what: 'the first job to be running' });
    const second = await nudge(2);
    await waitFor(
      async () =>
        (await boss.findJobs('test.coalesced', { data: { eventId: second.id } }))[0]?.state === 'created',
      { what: 'the newer job to wait' },
    );
    openNudgeGate?.();
    await waitFor(() => nudgesRun.includes(2), { what: 'the newer job to run' });
    const [failed] = await boss.findJobs('test.coalesced', { data: { eventId: first.id } });
    expect(failed).toMatchObject({
      state: 'completed',
      output: { superseded: true, message: 'the remote system is unreachable' },
    });
    expect(await boss.findJobs('test.coalesced.dead-letter')).toEqual([]);
    const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
    expect(
      metricValue(metrics, 'atrium_job_duration_seconds_count', {
        queue: 'test.coalesced',
        outcome: 'superseded',
      }),
    ).toBe(1);
  });

  it('hands an ordered queue its events in per-aggregate order with two relays running', async () => {
    let extra: OutboxRelay | undefined;
    try {
      extra = createOutboxRelay({ db: t.db, boss, catalogue, batchSize: 4, pollIntervalMs: 20 });
      await extra.start();
      const aggregates = ['s-1', 's-2', 's-3', 's-4', 's-5'];
      const perAggregate = 20;
      await Promise.all(
        aggregates.map(async (aggregateId) => {
          for (let n = 1; n <= perAggregate; n++) {
            await t.db.transaction().execute((trx) =>
              writeOutboxEvent(trx, {
                orgId: null,
                type: Stepped,
                aggregateType: 'stepper',
                aggregateId,
                payload: { n },
              }),
            );
          }
        }),
      );
      await waitFor(() => stepsSeen.length === aggregates.length * perAggregate, {
        timeoutMs: 20_000,
        what: 'every step to be handled',
      });
      for (const aggregateId of aggregates) {
        expect(stepsSeen.filter((s) => s.aggregateId === aggregateId).map((s) => s.n)).toEqual(
          Array.from({ length: perAggregate }, (_, i) => i + 1),
        );
      }
    } finally {
      await extra?.stop();
    }
  });
});
