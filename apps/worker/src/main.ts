import { parseWorkerEnv } from './env.ts';
import { startWorker } from './worker.ts';

const worker = await startWorker(parseWorkerEnv(process.env));

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    worker.logger.info({ signal }, 'shutting down');
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        worker.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
