import type { QueueCatalogue } from '@atrium/domain/events/queue-definition';
import { createBoss, DEFAULT_BOSS_SCHEMA } from './boss.ts';
import { ensureQueues } from './queues.ts';

/**
 * Installs (or migrates) the pg-boss schema on a database, creates the given queues (with their
 * dead-letter queues) when a catalogue is passed, and lets go. Used for the test suite's template
 * database, benchmarks and tools. Processes that send or work jobs ensure the catalogue themselves on
 * start (`ensureQueues(boss, queueCatalogue)`), as they run migrations.
 */
export async function installQueueSchema(
  url: string,
  options: { catalogue?: QueueCatalogue; schema?: string } = {},
): Promise<void> {
  const boss = createBoss({
    connectionString: url,
    poolSize: 2,
    schema: options.schema ?? DEFAULT_BOSS_SCHEMA,
    applicationName: 'atrium-jobs-install',
    supervise: false,
    listen: false,
  });
  await boss.start();
  try {
    if (options.catalogue) await ensureQueues(boss, options.catalogue);
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}
