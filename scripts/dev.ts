/**
 * `pnpm dev`: the whole stack on a machine with only Node and pnpm.
 *
 * 1. PostgreSQL: DATABASE_URL if set, else an embedded PostgreSQL with its data under .data/postgres.
 * 2. Migrations (and the demo seed) run forward.
 * 3. Redis: REDIS_URL if set, else a redis-server child when one is installed, else in-process
 *    fallbacks (said once, here).
 * 4. Email: SMTP_URL if set, else the dev mail catcher (SMTP on DEV_SMTP_PORT, default 1025; its
 *    JSON API on DEV_MAILBOX_PORT, default 1080; mail kept in .data/mailbox.json) whose messages the
 *    web app's Mailbox page shows. Processes get SMTP_URL and MAIL_CATCHER_URL.
 * 4b. The AIMS simulator (DEV_AIMS_PORT, default 4010) with the demo org's connection pointed at it,
 *    seeded desks, people and rooms, and a full sync the worker runs once it is up.
 * 5. API, worker, scheduler and web start through `turbo run dev`; the web URL is printed.
 * Ctrl-C (or SIGTERM) stops turbo and its children first, then the engines started here, and exits 0.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { startAimsSimulator } from '@atrium/aims-simulator';
import { createDb, migrateToLatest } from '@atrium/db';
import { configureNotificationKeys, createNotificationKeyring } from '@atrium/domain/notifications/crypto';
import {
  type RunningMailCatcher,
  type RunningPostgres,
  type RunningRedis,
  startEmbeddedPostgres,
  startMailCatcher,
  startRedisServer,
} from '@atrium/local-engines';
import { seedDemo } from '@atrium/seed';
import { seedWorkplaceDemo } from '@atrium/seed/workplace';
import pg from 'pg';

const root = resolve(import.meta.dirname, '..');
// Where the dev stack keeps its state (database, mailbox, secrets); DEV_DATA_DIR moves it (the CI smoke
// test runs a fresh stack in a temporary directory).
const dataDir = resolve(root, process.env.DEV_DATA_DIR ?? '.data');
const log = (message: string) => console.log(`\x1b[36m[dev]\x1b[0m ${message}`);

const stops: Array<() => Promise<void>> = [];
let shuttingDown = false;

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });

  let databaseUrl = process.env.DATABASE_URL;
  let databaseSource: 'DATABASE_URL' | 'embedded' = 'DATABASE_URL';
  if (!databaseUrl) {
    log(`starting embedded PostgreSQL (data in ${relative(root, dataDir)}/postgres)…`);
    const postgres: RunningPostgres = await startEmbeddedPostgres({
      dataDir: resolve(dataDir, 'postgres'),
      persistent: true,
      port: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
    });
    stops.push(() => postgres.stop());
    databaseUrl = await ensureDatabase(postgres.url, 'atrium');
    databaseSource = 'embedded';
    log(`PostgreSQL ready on port ${postgres.port}`);
  }

  const handle = createDb({ connectionString: databaseUrl, poolSize: 2, applicationName: 'atrium-dev' });
  try {
    await migrateToLatest(handle.db);
    const seeded = await seedDemo(handle.db);
    log('migrations applied');
    if (seeded.created) {
      log(`demo organisation "${seeded.orgSlug}" created; its accounts (shown this once):`);
      for (const account of seeded.accounts) {
        const roles = [
          ...account.roles,
          ...(account.platformRole ? [`platform ${account.platformRole}`] : []),
        ];
        log(`  ${account.email.padEnd(32)} ${account.password}   (${roles.join(', ')})`);
      }
    }
  } finally {
    await handle.destroy();
  }

  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const redis: RunningRedis | null = await startRedisServer({
      port: Number(process.env.DEV_REDIS_PORT ?? 6389),
    }).catch(() => null);
    if (redis) {
      stops.push(() => redis.stop());
      redisUrl = redis.url;
      log(`Redis started at ${redis.url}`);
    } else {
      log(
        'no redis-server on PATH and REDIS_URL unset: using in-process fallbacks (no shared cache, per-process rate limits, PostgreSQL NOTIFY for realtime fan-out)',
      );
    }
  }

  let smtpUrl = process.env.SMTP_URL;
  let mailCatcherUrl = process.env.MAIL_CATCHER_URL;
  if (!smtpUrl) {
    const catcher = await startDevMailCatcher();
    stops.push(() => catcher.stop());
    smtpUrl = catcher.smtpUrl;
    mailCatcherUrl = catcher.httpUrl;
    log(
      `mail catcher: SMTP ${catcher.smtpUrl}; nothing leaves this machine. Read the mail on the web app's Mailbox page or at ${catcher.httpUrl}/messages (kept in ${relative(root, dataDir)}/mailbox.json)`,
    );
  }

  // The AIMS simulator (SPEC §9, §12), with the demo org's connection pointed at it. It keeps
  // everything in memory: each start it is empty, and a full sync fills it from the database.
  const notificationsKey = process.env.NOTIFICATIONS_ENCRYPTION_KEY ?? devSecret('notifications-key');
  await startDevAimsSimulator(notificationsKey, databaseUrl);

  const apiPort = process.env.API_PORT ?? '3000';
  const webPort = process.env.WEB_PORT ?? '5173';
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    // The web dev server proxies /trpc from loopback and says who the client was.
    TRUST_PROXY: process.env.TRUST_PROXY ?? 'loopback',
    DATABASE_URL: databaseUrl,
    DATABASE_SOURCE: databaseSource,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    SMTP_URL: smtpUrl,
    ...(mailCatcherUrl ? { MAIL_CATCHER_URL: mailCatcherUrl } : {}),
    // Stable across restarts (`node --watch` restarts the API on every edit), so sessions survive.
    JWT_SECRET: process.env.JWT_SECRET ?? devSecret('jwt-secret'),
    // This machine's own key rather than the public dev default (notifications stored before stay readable).
    NOTIFICATIONS_ENCRYPTION_KEY: notificationsKey,
    WEB_BASE_URL: process.env.WEB_BASE_URL ?? `http://127.0.0.1:${webPort}`,
    // Signed object URLs point at the web app's origin, whose proxy forwards /objects to the API: the
    // browser uploads and downloads without a cross-origin request. Objects live in the data dir.
    OBJECT_STORAGE_PUBLIC_URL:
      process.env.OBJECT_STORAGE_PUBLIC_URL ??
      `${process.env.WEB_BASE_URL ?? `http://127.0.0.1:${webPort}`}/objects`,
    OBJECT_STORAGE_DIR: process.env.OBJECT_STORAGE_DIR ?? resolve(dataDir, 'objects'),
    API_PORT: apiPort,
    API_URL: `http://127.0.0.1:${apiPort}`,
    WEB_PORT: webPort,
    TURBO_TELEMETRY_DISABLED: '1',
  };

  log('starting API, worker, scheduler and web through turbo…');
  const turbo = spawn(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'dev',
      '--ui=stream',
      '--filter=@atrium/api',
      '--filter=@atrium/worker',
      '--filter=@atrium/scheduler',
      '--filter=@atrium/web',
    ],
    { cwd: root, env, stdio: 'inherit', detached: true },
  );
  // The whole process group: turbo and the dev servers it started. Turbo may exit before the apps have
  // finished stopping, so the engines wait until no process of the group is left.
  stops.unshift(async () => {
    const group = turbo.pid;
    if (!group) return;
    signalGroup(group, 'SIGINT');
    const killer = setTimeout(() => signalGroup(group, 'SIGKILL'), 15_000);
    while (groupAlive(group)) await new Promise((r) => setTimeout(r, 100));
    clearTimeout(killer);
  });
  turbo.once('exit', (code) => {
    if (!shuttingDown) {
      log(`turbo exited (${code}); stopping`);
      void shutdown(code ?? 1);
    }
  });

  await waitForHttp(`http://127.0.0.1:${apiPort}/health/live`, 60_000);
  log(
    `\x1b[1mAtrium is running: http://127.0.0.1:${webPort}\x1b[0m  (API http://127.0.0.1:${apiPort}, Ctrl-C stops everything)`,
  );
}

/** Signals a process group that may already be gone (ESRCH is the normal end of a race, not an error). */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A random secret made on first use and kept under .data/ (development only). */
function devSecret(name: string): string {
  const file = resolve(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * The AIMS simulator on DEV_AIMS_PORT (default 4010; a free port when taken) with the demo company,
 * and the demo org wired to it (seeded spaces, people and rooms the first time, then a full sync).
 * Its inspection page (/__sim) shows what every label displays.
 */
async function startDevAimsSimulator(notificationsKey: string, databaseUrl: string): Promise<void> {
  const company = {
    code: 'DEMO',
    users: [{ username: 'sync@demo.atrium.local', password: devSecret('aims-password') }],
    stores: ['HQ'],
  };
  const port = Number(process.env.DEV_AIMS_PORT ?? 4010);
  const sim = await startAimsSimulator({ port, companies: [company] }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error;
      log(`port ${port} is taken; the AIMS simulator uses a free port instead (set DEV_AIMS_PORT to choose)`);
      return startAimsSimulator({ companies: [company] });
    },
  );
  stops.push(() => sim.close());
  // The connection's password is sealed with the key the processes will use.
  configureNotificationKeys(createNotificationKeyring(notificationsKey));
  const handle = createDb({ connectionString: databaseUrl, poolSize: 2, applicationName: 'atrium-dev' });
  try {
    await seedWorkplaceDemo(handle.db, {
      baseUrl: sim.url,
      company: company.code,
      store: 'HQ',
      username: company.users[0]?.username ?? '',
      password: company.users[0]?.password ?? '',
    });
  } finally {
    await handle.destroy();
  }
  log(`AIMS simulator at ${sim.url} (labels at ${sim.url}/__sim); the demo org's workplace syncs to it`);
}

/** The catcher on its usual ports, or on free ones when another program holds them. */
async function startDevMailCatcher(): Promise<RunningMailCatcher> {
  const storeFile = resolve(dataDir, 'mailbox.json');
  const smtpPort = Number(process.env.DEV_SMTP_PORT ?? 1025);
  const httpPort = Number(process.env.DEV_MAILBOX_PORT ?? 1080);
  try {
    return await startMailCatcher({ smtpPort, httpPort, storeFile, onLog: log });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    log(
      `port ${smtpPort} or ${httpPort} is taken; the mail catcher uses free ports instead (set DEV_SMTP_PORT / DEV_MAILBOX_PORT to choose)`,
    );
    return startMailCatcher({ storeFile, onLog: log });
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !shuttingDown) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  if (!shuttingDown) log(`${url} did not answer within ${timeoutMs / 1000}s; check the logs above`);
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log('stopping…');
  for (const stop of stops) await stop().catch((error: unknown) => log(`stop failed: ${String(error)}`));
  log('stopped');
  process.exit(code);
}

/**
 * Ctrl-C in a terminal signals the whole foreground process group. The engines started here
 * (PostgreSQL, Redis) are children of this script and would stop at once, under the apps still running
 * on them (connections cut mid-query, error spam). So the stack runs in a process group of its own, and
 * this first process only relays the signal: the stack then stops the apps first, the engines last.
 */
function superviseStack(): void {
  const stack = spawn(process.execPath, [import.meta.filename], {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, ATRIUM_DEV_STACK: '1' },
  });
  const relay = (signal: NodeJS.Signals) => () => {
    if (stack.exitCode === null) stack.kill(signal);
  };
  process.on('SIGINT', relay('SIGINT'));
  process.on('SIGTERM', relay('SIGTERM'));
  stack.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.env.ATRIUM_DEV_STACK !== '1') {
  superviseStack();
} else {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  main().catch(async (error: unknown) => {
    console.error(error);
    await shutdown(1);
  });
}
