import { parseApiEnv } from './env.ts';
import { startApi } from './server.ts';

const env = parseApiEnv(process.env);
const api = await startApi(env);
api.services.logger.info({ url: api.url }, `API listening on ${api.url}`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    api.services.logger.info({ signal }, 'shutting down');
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        api.services.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
