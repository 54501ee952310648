import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createDb, migrateToLatest } from '@atrium/db';
import { startEmbeddedPostgres } from '@atrium/local-engines';
import pg from 'pg';

/** One measured number, with the target of SPEC §13 it is judged against. */
export interface BenchMetric {
  what: string;
  value: number;
  unit: string;
  target?: string;
  pass?: boolean;
}

export interface BenchResult {
  name: string;
  metrics: BenchMetric[];
}

export interface BenchDatabase {
  url: string;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one benchmark: on BENCH_DATABASE_URL's server when set, else on an
 * embedded PostgreSQL started for the purpose. Dropped (and the server stopped) on close.
 */
export async function benchDatabase(options: { withQueues?: boolean } = {}): Promise<BenchDatabase> {
  let adminUrl = process.env.BENCH_DATABASE_URL;
  let stopServer = async () => {};
  if (!adminUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'atrium-bench-pg-'));
    const server = await startEmbeddedPostgres({ dataDir, persistent: false });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const name = `atrium_bench_${Date.now().toString(36)}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = createDb({ connectionString: url.toString(), poolSize: 2 });
  await migrateToLatest(handle.db);
  await handle.destroy();
  if (options.withQueues) {
    const { installQueueSchema } = await import('@atrium/jobs');
    await installQueueSchema(url.toString());
  }
  return {
    url: url.toString(),
    async close() {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await stopServer();
    },
  };
}

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export function percentile(sortedAscending: number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const index = Math.min(
    sortedAscending.length - 1,
    Math.max(0, Math.ceil((p / 100) * sortedAscending.length) - 1),
  );
  return sortedAscending[index] ?? Number.NaN;
}

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
