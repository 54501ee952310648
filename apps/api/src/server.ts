import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@atrium/observability';
import { type ApiEnv, parseApiEnv } from './env.ts';
import { createApp } from './http.ts';
import { createServices, type Services } from './services.ts';

export interface RunningApi {
  url: string;
  server: Server;
  services: Services;
  close(): Promise<void>;
}

/** Builds services and starts listening. `close()` stops accepting, drains, then releases pools. */
export async function startApi(env: ApiEnv, options: { logger?: Logger } = {}): Promise<RunningApi> {
  const services = await createServices(env, options);
  const app = createApp(services);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(env.API_PORT, env.API_HOST, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${env.API_HOST}:${port}`,
    server,
    services,
    async close() {
      // End the SSE streams first (503: clients reconnect to another replica), so close() need not
      // wait for them.
      await services.realtime.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Long-lived streams (SSE) would hold close() open forever.
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      await services.close();
    },
  };
}

/** For tests and tools: an API on an ephemeral loopback port against the given database. */
export function createApiServer(options: {
  databaseUrl: string;
  redisUrl?: string | null;
  logLevel?: ApiEnv['LOG_LEVEL'];
}): Promise<RunningApi> {
  return startApi(
    parseApiEnv({
      NODE_ENV: 'test',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl ?? undefined,
      API_PORT: '0',
      LOG_LEVEL: options.logLevel ?? 'warn',
      DATABASE_POOL_SIZE: '5',
    }),
  );
}
