import { execFile } from 'node:child_process';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_DIR = join(WEB_DIR, 'dist');

/** What the bundle is made from: a change to any of these makes dist stale. */
const BUILD_INPUTS = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'];
const LOCK_DIR = join(WEB_DIR, '.e2e-build.lock');
const LOCK_STALE_MS = 5 * 60_000;

/**
 * Runs `vite build` unless dist/index.html is newer than every build input. Test files running in
 * parallel serialise on a lock directory, and whoever waited re-checks before building again.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (!(await isStale())) return;
  await withLock(async () => {
    if (!(await isStale())) return;
    const started = performance.now();
    const vite = join(WEB_DIR, 'node_modules', 'vite', 'bin', 'vite.js');
    try {
      await run(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
        cwd: WEB_DIR,
        // vitest sets NODE_ENV=test, which would make Vite bundle React's development build
        // and the dev-only areas.
        env: { ...process.env, NODE_ENV: 'production' },
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`vite build failed:\n${stdout}\n${stderr}`);
    }
    console.info(`[web-e2e] built apps/web/dist in ${Math.round(performance.now() - started)} ms`);
  });
}

async function isStale(): Promise<boolean> {
  const built = await stat(join(DIST_DIR, 'index.html')).catch(() => null);
  if (!built) return true;
  for (const input of BUILD_INPUTS) {
    if ((await newestMtime(join(WEB_DIR, input))) > built.mtimeMs) return true;
  }
  return false;
}

async function newestMtime(path: string): Promise<number> {
  const stats = await stat(path).catch(() => null);
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

async function withLock(work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const lock = await stat(LOCK_DIR).catch(() => null);
      // A crashed run left its lock behind: take it over.
      if (lock && Date.now() - lock.mtimeMs > LOCK_STALE_MS) await rmdir(LOCK_DIR).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${LOCK_DIR}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await work();
  } finally {
    await rmdir(LOCK_DIR).catch(() => undefined);
  }
}
