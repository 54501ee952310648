import type { Database } from '@atrium/db';
import { type AtriumQueueCatalogue, type QueueCatalogue, queueCatalogue } from '@atrium/domain';
import type { Histogram, Logger } from '@atrium/observability';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { handlePipelineProbe } from './handlers/ops.pipeline-probe.ts';
import { createJobRunner, type QueueHandlers } from './job-runner.ts';

export { queueCatalogue };

/**
 * The handler of every queue in the catalogue. `satisfies` makes a catalogue entry without a handler
 * (or a handler for a queue that is not catalogued) a type error.
 */
export const queueHandlers = {
  'ops.pipeline-probe': handlePipelineProbe,
} satisfies QueueHandlers<AtriumQueueCatalogue>;

export interface WorkQueuesOptions<C extends QueueCatalogue> {
  catalogue: C;
  handlers: QueueHandlers<C>;
  db: Kysely<Database>;
  logger: Logger;
  duration: Histogram<'queue' | 'outcome'>;
  /** Jobs of one queue fetched and run together. */
  concurrency: number;
  pollSeconds: number;
}

/** Starts a pg-boss worker for every queue of the catalogue. Dead-letter queues are not worked. */
export async function workQueues<C extends QueueCatalogue>(
  boss: PgBoss,
  options: WorkQueuesOptions<C>,
): Promise<void> {
  for (const name of Object.keys(options.catalogue) as Array<keyof C & string>) {
    const queue = options.catalogue[name];
    const handler = options.handlers[name];
    if (!queue || !handler) throw new Error(`queue "${name}" has no handler`);
    const run = createJobRunner({
      queue,
      handler,
      db: options.db,
      logger: options.logger,
      duration: options.duration,
    });
    await boss.work(
      name,
      {
        batchSize: options.concurrency,
        perJobResults: true,
        // A full batch means more is waiting: fetch again at once rather than after the poll interval.
        burstWhenBatchFull: true,
        pollingIntervalSeconds: options.pollSeconds,
        // NOTIFY wakes workers for new jobs, but a retry whose backoff elapses announces nothing.
        notifyPollingIntervalSeconds: options.pollSeconds,
      },
      run,
    );
  }
}
