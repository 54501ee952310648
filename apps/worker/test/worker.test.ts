import {
  consumeOnce,
  defineCatalogue,
  defineEvent,
  defineEventQueue,
  requestPipelineProbe,
  type WrittenOutboxEvent,
  writeOutboxEvent,
} from '@atrium/domain';
import {
  metricValue,
  redisAvailable,
  sleep,
  spawnNode,
  testRedisUrl,
  useTestDatabase,
  waitFor,
} from '@atrium/testkit';
import { jobsOf } from '@atrium/testkit/factories';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { QueueHandlers } from '../src/job-runner.ts';
import { queueCatalogue, queueHandlers } from '../src/queues.ts';
import { testWorkerEnv } from '../src/testing.ts';
import { startWorker } from '../src/worker.ts';
import { createEffectsTable, type EffectsTable, effectsOf } from './helpers.ts';

describe('worker process', { timeout: 20_000 }, () => {
  const t = useTestDatabase();

  it('reports readiness per check and exposes job, queue and outbox metrics', async () => {
    const worker = await startWorker(
      testWorkerEnv(t.url, redisAvailable() ? { REDIS_URL: testRedisUrl() ?? '' } : {}),
    );
    try {
      const ready = await fetch(`${worker.opsUrl}/health/ready`);
      const report = (await ready.json()) as {
        status: string;
        checks: Record<string, { status: string; latencyMs: number }>;
      };
      expect(ready.status).toBe(200);
      expect(report.status).toBe('ok');
      expect(Object.keys(report.checks).sort()).toEqual(
        redisAvailable() ? ['db', 'pgBoss', 'redis'] : ['db', 'pgBoss'],
      );
      for (const check of Object.values(report.checks))
        expect(check).toMatchObject({ status: 'ok', latencyMs: expect.any(Number) });
      const live = await (await fetch(`${worker.opsUrl}/health/live`)).json();
      expect(live).toMatchObject({ status: 'ok', draining: false, relayListening: true });

      // The application's own catalogue, end to end: the pipeline probe.
      const { eventId } = await t.db.transaction().execute((trx) => requestPipelineProbe(trx));
      await waitFor(
        () => t.db.selectFrom('inbox').selectAll().where('event_id', '=', eventId).executeTakeFirst(),
        { what: 'the probe to be acknowledged' },
      );
      await waitFor(async () => (await jobsOf(t.db, 'ops.pipeline-probe'))[0]?.state === 'completed', {
        what: 'the probe job to complete',
      });
      const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
      const labels = { queue: 'ops.pipeline-probe', outcome: 'completed' };
      expect(metricValue(metrics, 'atrium_job_duration_seconds_count', labels)).toBe(1);
      expect(
        metricValue(metrics, 'atrium_outbox_events_relayed_total', { type: 'PipelineProbeRequested' }),
      ).toBe(1);
      expect(metricValue(metrics, 'atrium_outbox_lag_seconds')).toBe(0);
      expect(metricValue(metrics, 'atrium_outbox_pending_events')).toBe(0);
      expect(metrics).toMatch(
        /^atrium_queue_depth\{queue="ops\.pipeline-probe",state="ready",process="worker"\} \d+/m,
      );
      expect(
        metricValue(metrics, 'atrium_queue_depth', {
          queue: 'ops.pipeline-probe.dead-letter',
          state: 'failed',
        }),
      ).toBe(0);
    } finally {
      await worker.stop();
    }
    // Stopped means stopped: the ops port is closed.
    await expect(fetch(`${worker.opsUrl}/health/live`)).rejects.toThrow();
  });

  it('lets the job in flight finish on stop and leaves the queued ones for the next worker', async () => {
    await createEffectsTable(t.db);
    const Slow = defineEvent('SlowThingHappened', z.object({ n: z.number() }));
    const catalogue = defineCatalogue(defineEventQueue({ name: 'test.slow', events: [Slow] }));
    const started: number[] = [];
    let finished = 0;
    const handlers: QueueHandlers<typeof catalogue> = {
      'test.slow': async (event, { db, job }) => {
        started.push(event.payload.n);
        await sleep(700);
        await consumeOnce(db, { consumer: job.queue, eventId: event.eventId }, (trx) =>
          trx
            .withTables<EffectsTable>()
            .insertInto('effects')
            .values({ consumer: job.queue, event_id: event.eventId })
            .execute(),
        );
        finished += 1;
      },
    };
    const env = testWorkerEnv(t.url, { WORKER_CONCURRENCY: '1' });
    const first = await startWorker(env, { queues: { catalogue, handlers } });
    const events: WrittenOutboxEvent[] = [];
    for (const n of [1, 2, 3]) {
      events.push(
        await t.db.transaction().execute((trx) =>
          writeOutboxEvent(trx, {
            orgId: null,
            type: Slow,
            aggregateType: 'slow',
            aggregateId: `s-${n}`,
            payload: { n },
          }),
        ),
      );
    }
    await waitFor(() => started.length === 1, { what: 'the first job to start' });

    let stopped = false;
    const stopping = first.stop().then(() => {
      stopped = true;
    });
    await sleep(200);
    expect(stopped).toBe(false); // waiting for the job in flight
    await stopping;
    expect(finished).toBe(1);
    expect(started).toHaveLength(1);

    const jobs = await jobsOf(t.db, 'test.slow');
    const inFlight = jobs.find((j) => j.data.eventId === events[0]?.id);
    expect(inFlight?.state).toBe('completed');
    expect(await effectsOf(t.db, events[0]?.id ?? '')).toHaveLength(1);
    // Nothing lost: the rest wait in their queue, untouched (not failed, not retried).
    expect(jobs.filter((j) => j.id !== inFlight?.id).map((j) => [j.state, j.retry_count])).toEqual([
      ['created', 0],
      ['created', 0],
    ]);

    const second = await startWorker(env, { queues: { catalogue, handlers } });
    try {
      await waitFor(() => finished === 3, { what: 'the next worker to take over' });
      for (const event of events) expect(await effectsOf(t.db, event.id)).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });

  it('runs as a process and exits 0 on SIGTERM', async () => {
    const child = spawnNode('src/main.ts', {
      cwd: new URL('..', import.meta.url),
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: t.url,
        DATABASE_POOL_SIZE: '4',
        WORKER_OPS_PORT: '0',
        LOG_LEVEL: 'info',
      },
    });
    try {
      const [, opsUrl] = await child.waitForOutput(/"opsUrl":"([^"]+)"/);
      const ready = await fetch(`${opsUrl}/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect((await child.exited).code).toBe(0);
    expect(child.output()).toContain('worker stopped');
  });

  it('refuses, at compile time, a catalogue entry without a handler', () => {
    const Unhandled = defineEvent('UnhandledHappened', z.object({}));
    const catalogue = defineCatalogue(
      defineEventQueue({ name: 'test.handled', events: [Unhandled] }),
      defineEventQueue({ name: 'test.unhandled', events: [Unhandled] }),
    );
    // @ts-expect-error — 'test.unhandled' has no handler
    const incomplete: QueueHandlers<typeof catalogue> = { 'test.handled': async () => {} };
    expect(Object.keys(incomplete)).toEqual(['test.handled']);
    // The application's catalogue and handlers agree (checked by `satisfies` in src/queues.ts).
    expect(Object.keys(queueHandlers).sort()).toEqual(Object.keys(queueCatalogue).sort());
  });
});
