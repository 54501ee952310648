import type { Database } from '@atrium/db';
import { type AtriumQueueCatalogue, type QueueCatalogue, queueCatalogue } from '@atrium/domain';
import type { Histogram, Logger } from '@atrium/observability';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { handleCreatorApplicationEvent, handleUserRolesChanged } from './handlers/creators.ts';
import {
  handleEmailVerificationRequested,
  handlePasswordChanged,
  handlePasswordResetRequested,
} from './handlers/identity.ts';
import { handleImportBatch } from './handlers/imports.ts';
import { handleIncidentOpened } from './handlers/incidents.ts';
import { handleNotificationRequested } from './handlers/notifications.ts';
import { handlePipelineProbe } from './handlers/ops.pipeline-probe.ts';
import { handleScheduleQuarantined } from './handlers/scheduling.ts';
import { handleSearchIndex, handleSearchReindex } from './handlers/search.ts';
import { handleFullSync, handleRoomSync, handleSpaceSync, handleSyncFailed } from './handlers/workplace.ts';
import { createJobRunner, type QueueHandlers } from './job-runner.ts';
import type { WorkerServices } from './services.ts';

export { queueCatalogue };

/**
 * The handler of every queue in the catalogue. `satisfies` makes a catalogue entry without a handler
 * (or a handler for a queue that is not catalogued) a type error.
 */
export const queueHandlers = {
  'ops.pipeline-probe': handlePipelineProbe,
  'identity.email-verification': handleEmailVerificationRequested,
  'identity.password-reset-email': handlePasswordResetRequested,
  'identity.password-changed': handlePasswordChanged,
  'notifications.dispatch': handleNotificationRequested,
  'creators.roles': handleUserRolesChanged,
  'creators.notifications': handleCreatorApplicationEvent,
  'scheduling.quarantine-notice': handleScheduleQuarantined,
  'incidents.notice': handleIncidentOpened,
  'workplace.sync-space': handleSpaceSync,
  'workplace.sync-room': handleRoomSync,
  'workplace.sync-failed-notice': handleSyncFailed,
  'workplace.full-sync': handleFullSync,
  'search.index': handleSearchIndex,
  'search.reindex': handleSearchReindex,
  'imports.bulk': handleImportBatch,
} satisfies QueueHandlers<AtriumQueueCatalogue>;

export interface WorkQueuesOptions<C extends QueueCatalogue> {
  catalogue: C;
  handlers: QueueHandlers<C>;
  db: Kysely<Database>;
  logger: Logger;
  services: WorkerServices;
  duration: Histogram<'queue' | 'outcome'>;
  /** Jobs of one queue fetched and run together. */
  concurrency: number;
  pollSeconds: number;
  /** Told the org of every settled job (live Ops updates). */
  onSettled?: (queue: string, orgId: string | null) => void;
}

/**
 * The pg-boss workers of a catalogue, one per queue, each started and stopped on its own: the worker
 * process starts every queue that is not paused and follows pauses from then on (queue-pause.ts).
 * Dead-letter queues are never worked.
 */
export interface QueueWorkers {
  readonly names: readonly string[];
  /** Starts fetching the queue (no-op when it already runs). */
  start(name: string): Promise<void>;
  /** Stops fetching the queue and waits for its jobs in flight (no-op when it is not running). */
  stop(name: string): Promise<void>;
  isRunning(name: string): boolean;
}

export function createQueueWorkers<C extends QueueCatalogue>(
  boss: PgBoss,
  options: WorkQueuesOptions<C>,
): QueueWorkers {
  const names = Object.keys(options.catalogue) as Array<keyof C & string>;
  const runners = new Map(
    names.map((name) => {
      const queue = options.catalogue[name];
      const handler = options.handlers[name];
      if (!queue || !handler) throw new Error(`queue "${name}" has no handler`);
      const run = createJobRunner({
        queue,
        handler,
        db: options.db,
        logger: options.logger,
        services: options.services,
        duration: options.duration,
        ...(options.onSettled
          ? { onSettled: (orgId: string | null) => options.onSettled?.(queue.name, orgId) }
          : {}),
      });
      return [name as string, run];
    }),
  );
  const running = new Set<string>();
  return {
    names,
    async start(name) {
      const run = runners.get(name);
      if (!run) throw new Error(`queue "${name}" is not in the catalogue`);
      if (running.has(name)) return;
      running.add(name);
      try {
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
      } catch (error) {
        running.delete(name);
        throw error;
      }
    },
    async stop(name) {
      if (!running.has(name)) return;
      running.delete(name);
      await boss.offWork(name, { wait: true });
    },
    isRunning: (name) => running.has(name),
  };
}
