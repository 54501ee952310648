/**
 * Smoke tests of the two ways a person starts Atrium (CI runs both; `.ci/run`):
 *
 *   node scripts/smoke.ts start   `pnpm start` in production: migrations, the API serving the built web
 *                                 app, worker and scheduler; every readiness check answers 200; SIGTERM
 *                                 stops it cleanly (exit 0).
 *   node scripts/smoke.ts dev     `pnpm dev` on free ports in a fresh data directory: serves the web app
 *                                 and, through it, the API; Ctrl-C (SIGINT to its process group, as a
 *                                 terminal sends it) ends it with exit 0 and no error output.
 *
 * `start` needs the web app built (`pnpm build`) and a PostgreSQL: TEST_DATABASE_URL's server (a fresh
 * database is made and dropped) or an embedded one started here. Redis comes from TEST_REDIS_URL when
 * set. Mail goes to an SMTP receiver started here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, type RunningPostgres, startEmbeddedPostgres } from '@atrium/local-engines';
import { startSmtpReceiver } from '@atrium/testkit';
import pg from 'pg';

const root = resolve(import.meta.dirname, '..');
const say = (message: string) => console.log(`\x1b[35m[smoke]\x1b[0m ${message}`);

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `pnpm <args>` in its own process group (so a signal reaches it as a terminal's would). */
function pnpm(args: string[], env: Record<string, string | undefined>): Started {
  let output = '';
  const child = spawn('pnpm', args, { cwd: root, env: { ...process.env, ...env }, detached: true });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${what} did not happen within ${timeoutMs / 1000} s${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

async function expectOk(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response;
}

/** Ends the process group the way the signal would from a terminal, and waits for the exit code. */
async function stop(started: Started, signal: NodeJS.Signals, timeoutMs: number): Promise<number | null> {
  if (started.child.pid) process.kill(-started.child.pid, signal);
  const timer = setTimeout(() => {
    if (started.child.pid) {
      try {
        process.kill(-started.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, timeoutMs);
  const code = await started.exited;
  clearTimeout(timer);
  return code;
}

async function smokeStart(): Promise<void> {
  if (!existsSync(resolve(root, 'apps/web/dist/index.html'))) throw new Error('run `pnpm build` first');
  let adminUrl = process.env.TEST_DATABASE_URL;
  let embedded: RunningPostgres | undefined;
  let embeddedDir: string | undefined;
  if (!adminUrl) {
    embeddedDir = await mkdtemp(join(tmpdir(), 'atrium-smoke-pg-'));
    await chmod(embeddedDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: embeddedDir, persistent: false });
    adminUrl = embedded.url;
  }
  const database = `atrium_smoke_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  const smtp = await startSmtpReceiver();
  const [apiPort, workerPort, schedulerPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const metricsToken = randomBytes(24).toString('hex');
  let started: Started | undefined;
  try {
    say(`pnpm start against a fresh database "${database}"`);
    started = pnpm(['start'], {
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: process.env.TEST_REDIS_URL,
      REDIS_PREFIX: `smoke:${database}:`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      NOTIFICATIONS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      OBJECT_STORAGE_SIGNING_KEY: randomBytes(32).toString('hex'),
      SMTP_URL: smtp.url,
      METRICS_TOKEN: metricsToken,
      API_PORT: String(apiPort),
      WORKER_OPS_PORT: String(workerPort),
      SCHEDULER_OPS_PORT: String(schedulerPort),
      LOG_LEVEL: 'warn',
    });
    const api = `http://127.0.0.1:${apiPort}`;
    const auth = { headers: { authorization: `Bearer ${metricsToken}` } };
    const report = await waitFor(
      'the API ready with every check ok',
      async () => {
        const response = await fetch(`${api}/health/ready`, auth);
        return response.status === 200 ? ((await response.json()) as { checks: object }) : undefined;
      },
      60_000,
    );
    say(`API ready: ${Object.keys(report.checks).join(', ')} ok`);
    for (const [name, port] of [
      ['worker', workerPort],
      ['scheduler', schedulerPort],
    ] as const) {
      await waitFor(
        `the ${name} ready`,
        async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok || undefined,
        60_000,
      );
      say(`${name} ready`);
    }
    const page = await expectOk(`${api}/library`);
    const html = await page.text();
    if (!html.includes('<div id="root">') && !html.includes('id="root"'))
      throw new Error('the web app was not served');
    if (!page.headers.get('content-security-policy')?.includes("script-src 'self'")) {
      throw new Error('the web app was served without its Content-Security-Policy');
    }
    await expectOk(`${api}/trpc/system.info`);
    if ((await fetch(`${api}/metrics`)).status !== 404)
      throw new Error('/metrics answered without the token');
    await expectOk(`${api}/metrics`, auth);
    say('web app, tRPC and token-guarded metrics served');
    const code = await stop(started, 'SIGTERM', 30_000);
    started = undefined;
    if (code !== 0) throw new Error(`pnpm start exited ${code} after SIGTERM`);
    say('stopped cleanly (exit 0)');
  } catch (error) {
    if (started) {
      console.error(started.output());
      await stop(started, 'SIGKILL', 1_000);
    }
    throw error;
  } finally {
    await smtp.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  }
}

async function smokeDev(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'atrium-smoke-dev-'));
  await chmod(dataDir, 0o755);
  const ports = {
    API_PORT: await freePort(),
    WEB_PORT: await freePort(),
    WORKER_OPS_PORT: await freePort(),
    SCHEDULER_OPS_PORT: await freePort(),
    EMBEDDED_PG_PORT: await freePort(),
    DEV_REDIS_PORT: await freePort(),
    DEV_SMTP_PORT: await freePort(),
    DEV_MAILBOX_PORT: await freePort(),
  };
  say(`pnpm dev in ${dataDir} on free ports`);
  // Nothing from the surrounding environment decides what the stack uses: it starts its own engines.
  const started = pnpm(['dev'], {
    ...Object.fromEntries(Object.entries(ports).map(([key, value]) => [key, String(value)])),
    DEV_DATA_DIR: dataDir,
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    SMTP_URL: undefined,
    NODE_ENV: undefined,
  });
  try {
    const web = `http://127.0.0.1:${ports.WEB_PORT}`;
    await waitFor(
      'the web app served',
      async () => ((await fetch(`${web}/`)).ok ? true : undefined),
      180_000,
    );
    const ready = await waitFor(
      'the API ready through the web server',
      async () => {
        const response = await fetch(`${web}/health/ready`);
        return response.status === 200 ? ((await response.json()) as { checks: object }) : undefined;
      },
      120_000,
    );
    say(`web app and API up (${Object.keys(ready.checks).join(', ')} ok)`);
    if (!started.output().includes('Atrium is running')) {
      await waitFor(
        'the "Atrium is running" line',
        async () => (started.output().includes('Atrium is running') ? true : undefined),
        30_000,
      );
    }
    const before = started.output().length;
    const code = await stop(started, 'SIGINT', 40_000);
    // Only what stopping printed: a web page polling before the API is up may log a proxy error.
    const output = started.output().slice(before);
    const complaints = ['ELIFECYCLE', 'ESRCH', 'Unhandled', 'Error:'].filter((marker) =>
      output.includes(marker),
    );
    if (code !== 0) throw new Error(`pnpm dev exited ${code} after Ctrl-C`);
    if (complaints.length > 0) {
      console.error(output);
      throw new Error(`pnpm dev printed ${complaints.join(', ')} while stopping`);
    }
    say('Ctrl-C stopped it quietly (exit 0)');
  } catch (error) {
    console.error(started.output());
    await stop(started, 'SIGKILL', 1_000).catch(() => undefined);
    throw error;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === 'start') await smokeStart();
else if (mode === 'dev') await smokeDev();
else {
  console.error('usage: node scripts/smoke.ts start|dev');
  process.exit(2);
}
