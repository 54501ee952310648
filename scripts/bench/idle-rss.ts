/**
 * Idle RSS per process (SPEC §13: < 150 MB). Starts the API, worker and scheduler as real processes
 * against a fresh database, lets them settle, and reads each one's resident set from /proc. Redis is
 * configured only when REDIS_URL is set (else the processes use their in-process fallbacks).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { freePort } from '@atrium/local-engines';
import { type BenchResult, benchDatabase, round } from './lib.ts';

const root = resolve(import.meta.dirname, '../..');
const TARGET_MB = 150;

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase({ withQueues: true });
  const children: Array<{ name: string; child: ChildProcess; health: string }> = [];
  try {
    const [apiPort, workerPort, schedulerPort] = [await freePort(), await freePort(), await freePort()];
    // Exactly the environment given here, no NODE_OPTIONS: each process runs as `pnpm start` runs it
    // (`node src/main.ts`, no runtime flags).
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
      API_PORT: String(apiPort),
      WORKER_OPS_PORT: String(workerPort),
      SCHEDULER_OPS_PORT: String(schedulerPort),
      JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0000',
      // Required in production; an idle worker never connects to it.
      SMTP_URL: 'smtp://127.0.0.1:1025',
      // Required in production (docs/notifications.md); any 32 bytes do for a benchmark.
      NOTIFICATIONS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    };
    for (const [name, port] of [
      ['api', `${apiPort}`],
      ['worker', `${workerPort}`],
      ['scheduler', `${schedulerPort}`],
    ] as const) {
      const child = spawn(process.execPath, ['src/main.ts'], {
        cwd: resolve(root, 'apps', name),
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push({ name, child, health: `http://127.0.0.1:${port}/health/live` });
    }
    for (const { health } of children) await waitFor(health);
    // Let start-up garbage be collected and timers settle, as a process does between requests.
    await new Promise((r) => setTimeout(r, 5_000));
    const metrics = [];
    for (const { name, child } of children) {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
      const mb = round(kb / 1024, 1);
      metrics.push({
        what: `idle RSS ${name}`,
        value: mb,
        unit: 'MB',
        target: `< ${TARGET_MB} MB`,
        pass: mb < TARGET_MB,
      });
    }
    return { name: 'idle-rss', metrics };
  } finally {
    await Promise.all(
      children.map(({ child }) =>
        child.exitCode === null
          ? new Promise((r) => {
              child.once('exit', r);
              child.kill('SIGTERM');
            })
          : null,
      ),
    );
    await database.close();
  }
}

async function waitFor(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}
