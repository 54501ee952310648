/**
 * Outbox pipeline (SPEC §13):
 *   - throughput: events written one per transaction → relay → pg-boss → no-op handler, against the
 *     same number of raw `boss.send` calls worked by a no-op pg-boss worker, in the same run (ratio ≥ 0.5);
 *   - latency: commit of an outbox row → handler start, p50 < 50 ms, p99 < 250 ms, at a steady pace.
 */
import { createDb, type Database } from '@atrium/db';
import { defineCatalogue, defineEvent, defineEventQueue, writeOutboxEvent } from '@atrium/domain';
import { createBoss, ensureQueues } from '@atrium/jobs';
import { parseWorkerEnv } from '@atrium/worker/env';
import { startWorker } from '@atrium/worker/worker';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { type BenchResult, benchDatabase, percentile, round } from './lib.ts';

const EVENTS = Number(process.env.BENCH_OUTBOX_EVENTS ?? 3_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_OUTBOX_LATENCY_SAMPLES ?? 300);
const WRITERS = 8;

const BenchTicked = defineEvent('BenchTicked', z.object({ n: z.number().int() }));
const catalogue = defineCatalogue(defineEventQueue({ name: 'bench.outbox', events: [BenchTicked] }));

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase({ withQueues: true });
  try {
    const raw = await rawPgBoss(database.url);
    const { throughput, latencies } = await outboxPipeline(database.url);
    const ratio = throughput / raw;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    return {
      name: 'outbox',
      metrics: [
        {
          what: `raw pg-boss send+work (${EVENTS} jobs, ${WRITERS} senders)`,
          value: round(raw, 0),
          unit: 'jobs/s',
        },
        {
          what: `outbox → handler (${EVENTS} events, ${WRITERS} writers)`,
          value: round(throughput, 0),
          unit: 'events/s',
        },
        {
          what: 'outbox throughput / raw pg-boss',
          value: round(ratio, 2),
          unit: '×',
          target: '≥ 0.5',
          pass: ratio >= 0.5,
        },
        {
          what: `commit → handler start p50 (${latencies.length} samples)`,
          value: round(p50, 1),
          unit: 'ms',
          target: '< 50 ms',
          pass: p50 < 50,
        },
        {
          what: 'commit → handler start p99',
          value: round(p99, 1),
          unit: 'ms',
          target: '< 250 ms',
          pass: p99 < 250,
        },
      ],
    };
  } finally {
    await database.close();
  }
}

/** The baseline: what pg-boss alone does with the same number of single sends and a no-op worker. */
async function rawPgBoss(url: string): Promise<number> {
  const boss = createBoss({ connectionString: url, poolSize: 10, supervise: false });
  await boss.start();
  await ensureQueues(boss, {
    'bench.raw': { ...catalogue['bench.outbox'], name: 'bench.raw', deadLetter: 'bench.raw.dead-letter' },
  });
  let handled = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  // The same fetch settings as the worker's queues (apps/worker/src/queues.ts), so the baseline is fair.
  const fetchOptions = {
    batchSize: 10,
    burstWhenBatchFull: true,
    pollingIntervalSeconds: 0.5,
    notifyPollingIntervalSeconds: 0.5,
  };
  await boss.work('bench.raw', fetchOptions, async (jobs) => {
    handled += jobs.length;
    if (handled >= EVENTS) resolveDone();
  });
  const started = performance.now();
  await inParallel(WRITERS, EVENTS, (n) => boss.send('bench.raw', { n }));
  await done;
  const seconds = (performance.now() - started) / 1000;
  await boss.stop({ graceful: false, close: true });
  return EVENTS / seconds;
}

async function outboxPipeline(url: string): Promise<{ throughput: number; latencies: number[] }> {
  // Keyed by the event's n: the handler may start before the writer has read the clock after COMMIT.
  const committedAt = new Map<number, number>();
  const startedAt = new Map<number, number>();
  let handled = 0;
  let target = EVENTS;
  let resolveDone: () => void = () => {};
  let done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const worker = await startWorker(
    parseWorkerEnv({
      NODE_ENV: 'production',
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
      WORKER_OPS_PORT: '0',
      WORKER_CONCURRENCY: '10',
      DATABASE_POOL_SIZE: '10',
      // Required in production; the bench's queue sends no mail and stores no notification.
      SMTP_URL: 'smtp://127.0.0.1:1025',
      NOTIFICATIONS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    }),
    {
      queues: {
        catalogue,
        handlers: {
          'bench.outbox': async (event) => {
            startedAt.set(event.payload.n, performance.now());
            handled += 1;
            if (handled >= target) resolveDone();
          },
        },
      },
    },
  );
  const handle = createDb({ connectionString: url, poolSize: WRITERS });
  try {
    const write = (db: Kysely<Database>, n: number) =>
      db.transaction().execute((trx) =>
        writeOutboxEvent(trx, {
          orgId: null,
          type: BenchTicked,
          aggregateType: 'bench',
          aggregateId: String(n),
          payload: { n },
        }),
      );

    const started = performance.now();
    await inParallel(WRITERS, EVENTS, (n) => write(handle.db, n));
    await done;
    const throughput = EVENTS / ((performance.now() - started) / 1000);

    // Latency at a steady pace: one event every 20 ms, commit time taken right after COMMIT returns.
    handled = 0;
    target = LATENCY_SAMPLES;
    done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await write(handle.db, EVENTS + i);
      committedAt.set(EVENTS + i, performance.now());
      await new Promise((r) => setTimeout(r, 20));
    }
    await done;
    // A handler that started before the writer read the clock counts as zero latency.
    const latencies = [...committedAt]
      .map(([n, at]) => Math.max(0, (startedAt.get(n) ?? Number.NaN) - at))
      .sort((a, b) => a - b);
    return { throughput, latencies };
  } finally {
    await handle.destroy();
    await worker.stop();
  }
}

async function inParallel(
  workers: number,
  total: number,
  task: (n: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) {
        const n = next++;
        await task(n);
      }
    }),
  );
}
