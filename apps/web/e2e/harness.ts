import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningApi } from '@atrium/api/server';
import { type RunningMailCatcher, startMailCatcher } from '@atrium/local-engines';
import { type TestDatabase, testRedisUrl, useTestDatabase } from '@atrium/testkit';
import { type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it, onTestFailed } from 'vitest';
import { privateRedisPrefix, startE2eApi } from './api.ts';
import { chromiumUnavailableReason, closeBrowser, newPage, type PageOptions } from './browser.ts';
import { DIST_DIR, ensureWebBuilt } from './build.ts';
import { type StaticServer, startStaticServer } from './static-server.ts';

/** Set to a directory to keep screenshots of every test (and of failures) for a human to look at. */
const screenshotDir = process.env.E2E_SCREENSHOT_DIR;

/**
 * A describe block of browser tests. Without Chromium it is skipped with a loud warning, except on
 * CI (CI=true) or with REQUIRE_BROWSER=1, where a failing test says what is missing instead.
 */
export function describeInBrowser(title: string, body: () => void): void {
  const chromiumMissing = chromiumUnavailableReason();
  if (chromiumMissing === null) {
    describe(title, body);
  } else if (process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1') {
    describe(title, () => {
      it('need Chromium (CI=true or REQUIRE_BROWSER=1)', () => {
        throw new Error(chromiumMissing);
      });
    });
  } else {
    const line = '!'.repeat(100);
    console.warn(`\n${line}\n!! ${chromiumMissing}\n!! Browser tests "${title}" are SKIPPED.\n${line}\n`);
    describe.skip(title, body);
  }
}

/** Keeps a full-page screenshot in E2E_SCREENSHOT_DIR, when it is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (screenshotDir) await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export interface E2eStackOptions {
  /** Names the API's private Redis prefix (rate limits, authorisation cache, realtime channels). */
  name: string;
  /** Starts the dev mail catcher; the API's Mailbox reads it and the worker sends to it. */
  mail?: boolean;
  /** Starts a worker (relay, consumers, notifications) on the same database and Redis prefix. */
  worker?: boolean;
  /** Adds or overrides API variables, e.g. `MAIL_CATCHER_URL`. */
  apiEnv?: Record<string, string | undefined>;
}

export interface E2eStack {
  /** This file's test database (cloned from the template, dropped afterwards). */
  database: TestDatabase;
  api(): RunningApi;
  /** The built app and the API behind one origin: pages resolve relative URLs against it. */
  web(): StaticServer;
  worker(): RunningWorker;
  catcher(): RunningMailCatcher;
  /** A page in a fresh browser context; it is closed after the file (and screenshotted on failure). */
  open(options?: PageOptions): Promise<Page>;
  /** In a test: screenshots every open page if that test fails. */
  screenshotOnFailure(name: string): void;
  /** Stops the API before the end of the file (a test of the app without it). */
  stopApi(): Promise<void>;
}

/**
 * The stack a browser test runs against, started in beforeAll and stopped in afterAll: the built web
 * app (`vite build` when stale) served with the real API on loopback ports, the test database and the
 * suite's Redis under a private prefix, optionally a mail catcher and a worker. Call it at the top of
 * a describe block; the block's own beforeAll (seeding, signing in) runs after the stack is up.
 */
export function useE2eStack(options: E2eStackOptions): E2eStack {
  const database = useTestDatabase();
  let api: RunningApi | undefined;
  let apiStopped = false;
  let web: StaticServer | undefined;
  let worker: RunningWorker | undefined;
  let catcher: RunningMailCatcher | undefined;
  const pages: Page[] = [];

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} was not started`);
    return value;
  };

  beforeAll(async () => {
    await ensureWebBuilt();
    if (options.mail) catcher = await startMailCatcher();
    // One prefix for the API and the worker: realtime fan-out and the authorisation cache live there.
    const redisPrefix = privateRedisPrefix(options.name);
    // The app's origin first: the API and the worker both put links to it in emails (invitations).
    web = await startStaticServer({ distDir: DIST_DIR, apiUrl: () => started(api, 'the API').url });
    api = await startE2eApi({
      databaseUrl: database.url,
      redisPrefix,
      env: {
        WEB_BASE_URL: web.url,
        // Signed object URLs on the app's origin (its proxy forwards /objects), as `pnpm dev` does.
        OBJECT_STORAGE_PUBLIC_URL: `${web.url}/objects`,
        OBJECT_STORAGE_DIR: join(tmpdir(), `atrium-e2e-objects-${options.name}`),
        ...(catcher ? { MAIL_CATCHER_URL: catcher.httpUrl } : {}),
        ...options.apiEnv,
      },
    });
    if (options.worker) {
      worker = await startWorker(
        testWorkerEnv(database.url, {
          REDIS_URL: testRedisUrl() ?? undefined,
          REDIS_PREFIX: redisPrefix,
          DATABASE_POOL_SIZE: '4',
          LOG_LEVEL: 'warn',
          WORKER_CONCURRENCY: '2',
          WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
          ...(catcher ? { SMTP_URL: catcher.smtpUrl } : {}),
          // Links in emails point at this app.
          WEB_BASE_URL: web.url,
        }),
      );
    }
  });

  afterAll(async () => {
    for (const page of pages) await page.close().catch(() => undefined);
    await closeBrowser();
    await worker?.stop();
    await web?.close();
    if (!apiStopped) await api?.close();
    await catcher?.stop();
  });

  return {
    database,
    api: () => started(api, 'the API'),
    web: () => started(web, 'the web server'),
    worker: () => started(worker, 'the worker (useE2eStack({ worker: true }))'),
    catcher: () => started(catcher, 'the mail catcher (useE2eStack({ mail: true }))'),
    async open(pageOptions) {
      const page = await newPage(started(web, 'the web server').url, pageOptions);
      pages.push(page);
      return page;
    },
    screenshotOnFailure(name) {
      onTestFailed(async () => {
        for (const [index, page] of pages.entries()) {
          if (page.isClosed()) continue;
          const suffix = pages.length === 1 ? '' : `-${index}`;
          const path = join(screenshotDir ?? '/tmp', `atrium-e2e-failed-${name}${suffix}.png`);
          await page.screenshot({ path, fullPage: true }).catch(() => undefined);
          console.error(`[web-e2e] screenshot of the failure: ${path}`);
        }
      });
    },
    async stopApi() {
      apiStopped = true;
      await api?.close();
    },
  };
}
