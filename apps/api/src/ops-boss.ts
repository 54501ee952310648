import type { QueueCatalogue } from '@atrium/domain/events/catalogue';
import type { OpsQueuePort } from '@atrium/domain/ops/port';
import type { Logger } from '@atrium/observability';
import type { PgBoss } from 'pg-boss';

/**
 * pg-boss for the Ops console, started on first use. The API runs no workers and enqueues nothing
 * itself (the outbox relay does): only the Ops console reads queues and acts on jobs. Until an
 * operator opens it, the process neither loads pg-boss (with the cron and rrule libraries it brings)
 * nor holds its pool — about 10 MB of idle resident memory (SPEC §13, docs/development.md).
 * Readiness still checks the pg-boss schema with plain SQL (services.ts).
 */
export interface LazyOpsBoss {
  /** The started boss: the first call starts it and creates the catalogue's queues. */
  boss(): Promise<PgBoss>;
  /** The Ops console's queue port over that boss. */
  queues: OpsQueuePort;
  /** Stops the boss if it was started (waiting for a start in flight). */
  stop(): Promise<void>;
}

export function lazyOpsBoss(options: {
  connectionString: string;
  catalogue: QueueCatalogue;
  logger: Logger;
}): LazyOpsBoss {
  let started: Promise<{ boss: PgBoss; port: OpsQueuePort }> | undefined;

  const start = () => {
    if (started) return started;
    const attempt = (async () => {
      const { createBoss, createPgBossOpsQueues, ensureQueues } = await import('@atrium/jobs');
      const boss = createBoss({
        connectionString: options.connectionString,
        poolSize: 2,
        applicationName: 'atrium-api-boss',
        supervise: false,
        listen: false,
        onError: (error) => options.logger.error({ err: error }, 'pg-boss error'),
      });
      await boss.start();
      try {
        await ensureQueues(boss, options.catalogue);
      } catch (error) {
        await boss.stop({ graceful: false, close: true });
        throw error;
      }
      const port = createPgBossOpsQueues({ boss });
      return { boss, port };
    })();
    started = attempt;
    // A failed start is not kept: the next Ops request tries again.
    attempt.catch(() => {
      if (started === attempt) started = undefined;
    });
    return attempt;
  };
  const port = async () => (await start()).port;

  return {
    boss: async () => (await start()).boss,
    queues: {
      stats: async (query) => (await port()).stats(query),
      list: async (query, trx) => (await port()).list(query, trx),
      get: async (queue, id, trx) => (await port()).get(queue, id, trx),
      retry: async (trx, queue, id) => (await port()).retry(trx, queue, id),
      cancel: async (trx, queue, id) => (await port()).cancel(trx, queue, id),
      delete: async (trx, queue, id) => (await port()).delete(trx, queue, id),
      deleteMany: async (trx, queue, ids) => (await port()).deleteMany(trx, queue, ids),
      runNow: async (trx, queue, id) => (await port()).runNow(trx, queue, id),
      redrive: async (trx, command) => (await port()).redrive(trx, command),
    },
    async stop() {
      const running = started;
      started = undefined;
      const result = await running?.catch(() => null);
      await result?.boss.stop({ graceful: false, close: true });
    },
  };
}
