import { parseSchedulerEnv } from './env.ts';
import { startScheduler } from './scheduler.ts';

const scheduler = await startScheduler(parseSchedulerEnv(process.env));

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    scheduler.logger.info({ signal }, 'shutting down');
    scheduler.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        scheduler.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
