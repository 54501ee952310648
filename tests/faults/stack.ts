import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDb, type Database, migrateToLatest } from '@atrium/db';
import { configureNotificationKeysFromEnv } from '@atrium/domain/notifications/crypto';
import { silentLog } from '@atrium/domain/platform/logger';
import { installQueueSchema } from '@atrium/jobs';
import {
  freePort,
  type RunningPostgres,
  type RunningRedis,
  startEmbeddedPostgres,
  startRedisServer,
} from '@atrium/local-engines';
import { type RunningSmtpReceiver, startSmtpReceiver } from '@atrium/testkit';
import type { Kysely } from 'kysely';
import pg from 'pg';

/**
 * The fault suite's stack: real engines this suite can stop and start (an embedded PostgreSQL on a
 * data directory of its own, a `redis-server`, an SMTP receiver with fault switches) and the three
 * processes started exactly as `pnpm start` starts them (`node src/main.ts` in each app,
 * NODE_ENV=production, configuration from the environment). Faults are injected from outside: signals
 * to processes, engines stopped and started.
 */

const root = resolve(import.meta.dirname, '../..');

export type AppName = 'api' | 'worker' | 'scheduler';

export interface AppProcess {
  readonly name: AppName;
  /** The process's output so far (for the failure report). */
  output(): string;
  /** Sends a signal; `kill('SIGKILL')` is a crash. Resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
  /** Starts it again with the same environment (a new process). */
  restart(): Promise<void>;
  readonly alive: boolean;
}

export interface FaultStack {
  db: Kysely<Database>;
  databaseUrl: string;
  redisUrl: string;
  smtp: RunningSmtpReceiver;
  apiUrl: string;
  workerOpsUrl: string;
  schedulerOpsUrl: string;
  metricsToken: string;
  /** The environment every process gets (what an operator would set for `pnpm start`). */
  env: Record<string, string>;
  start(name: AppName, overrides?: Record<string, string>): Promise<AppProcess>;
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  close(): Promise<void>;
}

const APP_DIR: Record<AppName, string> = {
  api: 'apps/api',
  worker: 'apps/worker',
  scheduler: 'apps/scheduler',
};

export async function startFaultStack(): Promise<FaultStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'atrium-faults-pg-'));
  await chmod(dataDir, 0o755);
  const pgPort = await freePort();
  let postgres: RunningPostgres | null = await startEmbeddedPostgres({
    dataDir,
    persistent: true,
    port: pgPort,
  });
  const adminUrl = postgres.url;
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = '/atrium';
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE atrium');
  await admin.end();
  const handle = createDb({
    connectionString: databaseUrl.toString(),
    poolSize: 4,
    applicationName: 'atrium-faults',
  });
  await migrateToLatest(handle.db);
  await installQueueSchema(databaseUrl.toString());

  const redisPort = await freePort();
  let redis: RunningRedis | null = await startRedisServer({ port: redisPort });
  if (!redis) throw new Error('the fault suite needs redis-server on PATH');
  const redisUrl = redis.url;
  const smtp = await startSmtpReceiver();
  const [apiPort, workerPort, schedulerPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const metricsToken = randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: redisUrl,
    JWT_SECRET: randomBytes(32).toString('hex'),
    NOTIFICATIONS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    OBJECT_STORAGE_SIGNING_KEY: randomBytes(32).toString('hex'),
    SMTP_URL: smtp.url,
    METRICS_TOKEN: metricsToken,
    API_PORT: String(apiPort),
    WORKER_OPS_PORT: String(workerPort),
    SCHEDULER_OPS_PORT: String(schedulerPort),
    LOG_LEVEL: 'warn',
  };
  const processes: AppProcess[] = [];
  // This process writes notifications too (the test's load): it seals them with the processes' key.
  configureNotificationKeysFromEnv(env, silentLog);

  const stack: FaultStack = {
    db: handle.db,
    databaseUrl: databaseUrl.toString(),
    redisUrl,
    smtp,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    workerOpsUrl: `http://127.0.0.1:${workerPort}`,
    schedulerOpsUrl: `http://127.0.0.1:${schedulerPort}`,
    metricsToken,
    env,
    async start(name, overrides = {}) {
      const started = spawnApp(name, { ...env, ...overrides });
      processes.push(started);
      await started.restart();
      return started;
    },
    async stopPostgres() {
      await postgres?.stop();
      postgres = null;
    },
    async startPostgres() {
      postgres = await startEmbeddedPostgres({ dataDir, persistent: true, port: pgPort });
    },
    async stopRedis() {
      await redis?.stop();
      redis = null;
    },
    async startRedis() {
      redis = await startRedisServer({ port: redisPort });
    },
    async close() {
      for (const app of processes) if (app.alive) await app.kill('SIGKILL');
      await handle.destroy();
      await smtp.stop();
      await redis?.stop();
      await postgres?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

function spawnApp(name: AppName, env: Record<string, string>): AppProcess & { restart(): Promise<void> } {
  let child: ChildProcess | null = null;
  let output = '';
  let exited: Promise<number | null> = Promise.resolve(null);
  return {
    name,
    output: () => output,
    get alive() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    async kill(signal) {
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      child.kill(signal);
      return exited;
    },
    async restart() {
      const cwd = resolve(root, APP_DIR[name]);
      child = spawn(process.execPath, ['src/main.ts'], {
        cwd,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const current = child;
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.length > 2_000_000) output = output.slice(-1_000_000);
      };
      current.stdout?.on('data', collect);
      current.stderr?.on('data', collect);
      exited = new Promise((done) => current.once('exit', (code) => done(code)));
      await waitUntil(`${name} ready`, () => appReady(name, env), 60_000);
    },
  };
}

async function appReady(name: AppName, env: Record<string, string>): Promise<boolean> {
  const port =
    name === 'api' ? env.API_PORT : name === 'worker' ? env.WORKER_OPS_PORT : env.SCHEDULER_OPS_PORT;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health/live`);
    return response.ok;
  } catch {
    return false;
  }
}

/** Polls `probe` until it is true; the error names what did not happen. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await probe()) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

/** Prints a scenario's figures as one block the closing note can quote. */
export function report(scenario: string, figures: Record<string, unknown>): void {
  const lines = Object.entries(figures).map(
    ([key, value]) =>
      `  ${key.padEnd(34)} ${typeof value === 'number' ? Number(value.toFixed(2)) : String(value)}`,
  );
  console.log(`\n[faults] ${scenario}\n${lines.join('\n')}\n`);
}
