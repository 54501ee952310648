/**
 * `pnpm start`: production. Everything comes from the environment (DATABASE_URL required; REDIS_URL,
 * SMTP_URL, S3_*, MEILI_* as configured). Runs migrations once, then the API (serving the built web
 * app from apps/web/dist), the worker and the scheduler as child processes; SIGTERM stops them all
 * gracefully. In a real deployment run each process on its own (`node apps/api/src/main.ts`, …) and
 * scale them independently; this command is the single-host form.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createDb, migrateToLatest } from '@atrium/db';

const root = resolve(import.meta.dirname, '..');
const webDist = resolve(root, 'apps/web/dist');
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('pnpm start needs DATABASE_URL (production reads its configuration from the environment).');
  process.exit(2);
}
if (!existsSync(resolve(webDist, 'index.html'))) {
  console.error('apps/web/dist is missing: run `pnpm build` first.');
  process.exit(2);
}

const handle = createDb({ connectionString: databaseUrl, poolSize: 1, applicationName: 'atrium-start' });
await migrateToLatest(handle.db);
await handle.destroy();

const env = { ...process.env, NODE_ENV: 'production', WEB_DIST_DIR: webDist };
const children: ChildProcess[] = ['apps/api', 'apps/worker', 'apps/scheduler'].map((dir) =>
  spawn(process.execPath, ['src/main.ts'], { cwd: resolve(root, dir), env, stdio: 'inherit' }),
);

let stopping = false;
const stopAll = (code: number) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(
    () => process.exit(code),
  );
};
for (const child of children) child.once('exit', (code) => stopAll(code ?? 1));
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
