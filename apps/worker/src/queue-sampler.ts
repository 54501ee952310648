import type { Database } from '@atrium/db';
import type { QueueCatalogue } from '@atrium/domain/events/catalogue';
import { recordQueueSamples, type SampleResult } from '@atrium/domain/ops/history';
import { createPgBossOpsQueues } from '@atrium/jobs';
import { createLogger, type Logger } from '@atrium/observability';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';

/**
 * Samples every queue's depth and failures per org into `ops_queue_samples` for the Ops charts
 * (docs/ops.md). Runs on interval boundaries; every worker runs one and the first to reach a bucket
 * writes it, so the charts survive any worker stopping.
 */
export interface QueueSampler {
  sampleNow(): Promise<SampleResult>;
  stop(): Promise<void>;
}

export function startQueueSampler(options: {
  db: Kysely<Database>;
  boss: PgBoss;
  catalogue: QueueCatalogue;
  intervalSeconds: number;
  logger?: Logger;
}): QueueSampler {
  const { intervalSeconds } = options;
  const logger = options.logger ?? createLogger({ name: 'queue-sampler', level: 'silent' });
  const queues = createPgBossOpsQueues({ boss: options.boss });
  const deps = { db: options.db, queues, catalogue: options.catalogue };
  let stopped = false;
  let inFlight: Promise<unknown> | null = null;
  let timer: NodeJS.Timeout | undefined;

  const sampleNow = () => recordQueueSamples(deps, { intervalSeconds });

  function schedule(): void {
    if (stopped) return;
    const step = intervalSeconds * 1000;
    // Just past the next boundary, so the bucket that just closed is complete.
    const wait = step - (Date.now() % step) + 250;
    timer = setTimeout(() => {
      inFlight = sampleNow()
        .catch((error: unknown) => logger.warn({ err: error }, 'queue sample failed'))
        .finally(() => {
          inFlight = null;
          schedule();
        });
    }, wait);
    timer.unref();
  }
  schedule();

  return {
    sampleNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
