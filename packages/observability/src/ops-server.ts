import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthCheck } from './health.ts';
import { runHealthChecks } from './health.ts';
import type { Registry } from './metrics.ts';

/**
 * The small HTTP surface of a headless process (worker, scheduler): liveness, readiness and
 * Prometheus metrics. The API serves the same three routes from Express.
 */
export interface OpsServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  checks: Record<string, HealthCheck>;
  /** Process-specific detail added to /health/live (e.g. draining). */
  liveDetail?: () => Record<string, unknown>;
}

export interface OpsServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startOpsServer({
  port,
  host = '127.0.0.1',
  registry,
  checks,
  liveDetail,
}: OpsServerOptions): Promise<OpsServer> {
  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
        return;
      }
      if (path === '/health/live') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ status: 'ok', uptimeSeconds: Math.round(process.uptime()), ...liveDetail?.() }),
        );
        return;
      }
      if (path === '/health/ready') {
        const report = await runHealthChecks(checks);
        res.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(report));
        return;
      }
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
    } catch (error) {
      res.writeHead(500).end(error instanceof Error ? error.message : 'error');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
