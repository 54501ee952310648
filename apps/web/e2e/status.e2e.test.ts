import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningApi } from '@atrium/api/server';
import { DEMO_PASSWORD, seedDemo } from '@atrium/db/seed';
import { testRedisUrl, useTestDatabase } from '@atrium/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startE2eApi } from './api.ts';
import { chromiumUnavailableReason, closeBrowser, newPage } from './browser.ts';
import { DIST_DIR, ensureWebBuilt, WEB_DIR } from './build.ts';
import { signInWithApi } from './session.ts';
import { type StaticServer, startStaticServer } from './static-server.ts';

const chromiumMissing = chromiumUnavailableReason();
const browserRequired = process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1';
/** Set to a directory to keep screenshots of every test (and of failures) for a human to look at. */
const screenshotDir = process.env.E2E_SCREENSHOT_DIR;

if (chromiumMissing) {
  if (browserRequired) {
    describe('browser tests', () => {
      it('need Chromium (CI=true or REQUIRE_BROWSER=1)', () => {
        throw new Error(chromiumMissing);
      });
    });
  } else {
    const line = '!'.repeat(100);
    console.warn(`\n${line}\n!! ${chromiumMissing}\n!! Browser tests of the web app are SKIPPED.\n${line}\n`);
  }
}

describe.skipIf(chromiumMissing !== null)('status page: built app, real API, Chromium', () => {
  const database = useTestDatabase();
  let api: RunningApi | undefined;
  let apiClosed = false;
  let web: StaticServer | undefined;
  let page: Page;

  const screenshot = async (name: string) => {
    if (screenshotDir) await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  };
  const screenshotOnFailure = (name: string) =>
    onTestFailed(async () => {
      const path = join(screenshotDir ?? '/tmp', `atrium-e2e-failed-${name}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.error(`[web-e2e] screenshot of the failure: ${path}`);
    });

  beforeAll(async () => {
    await ensureWebBuilt();
    // A private Redis prefix: the sign-in below must not share its rate-limit counter with other files.
    api = await startE2eApi({ databaseUrl: database.url, name: 'status' });
    web = await startStaticServer({ distDir: DIST_DIR, apiUrl: api.url });
    page = await newPage(web.url);
    // The app's areas are for signed-in users (docs/identity.md); the demo admin sees them all.
    await seedDemo(api.services.db);
    await signInWithApi(page, { email: 'admin@demo.atrium.local', password: DEMO_PASSWORD });
  });

  afterAll(async () => {
    await page?.close();
    await closeBrowser();
    await web?.close();
    if (!apiClosed) await api?.close();
  });

  it('lands on /status and marks it current in the navigation', async () => {
    screenshotOnFailure('landing');
    await page.goto('/');
    await page.waitForURL('**/status');
    await expect.poll(() => page.title()).toBe('Atrium');
    const current = page.locator('nav[aria-label="Main"] [aria-current="page"]');
    expect(await current.count()).toBe(1);
    expect(await current.textContent()).toBe('Status');
  });

  it('shows the overall status, every readiness check and the active adapters', async () => {
    screenshotOnFailure('status');
    await page.goto('/status');

    const overall = page.getByTestId('status-overall');
    await expect.poll(() => overall.getAttribute('data-status'), { timeout: 15_000 }).toBe('ok');
    expect(await overall.textContent()).toContain('OK');

    const redisUrl = testRedisUrl();
    const expectedChecks = ['db', 'pgBoss', ...(redisUrl ? ['redis'] : [])];
    for (const name of expectedChecks) {
      const row = page.getByTestId(`check-${name}`);
      expect(await row.getAttribute('data-status'), `check ${name}`).toBe('ok');
      expect(await row.textContent()).toMatch(/ok.*\d+(\.\d)? ms/);
    }

    const databaseAdapter = page.getByTestId('adapter-database');
    expect(await databaseAdapter.getAttribute('data-kind')).toBe('postgres');
    expect(await databaseAdapter.textContent()).toContain('PostgreSQL');
    expect(await page.getByTestId('adapter-redis').getAttribute('data-kind')).toBe(
      redisUrl ? 'redis' : 'in-process',
    );
    expect(await page.getByTestId('adapter-search').getAttribute('data-kind')).toBe('postgres');

    const apiPackage = JSON.parse(await readFile(join(WEB_DIR, '..', 'api', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await page.getByTestId('status-version').textContent()).toContain(apiPackage.version);
    expect(await page.getByTestId('status-updated').textContent()).toMatch(/Updated \d\d:\d\d:\d\d/);
    await screenshot('status-ok');
  });

  it('renders an honest placeholder for areas that are not built yet, and a 404 page', async () => {
    screenshotOnFailure('placeholder');
    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.waitForURL('**/datasets');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Datasets');
    expect(await page.getByTestId('placeholder-page').textContent()).toContain('arrives with');
    // Production bundles have no dev-only areas.
    expect(await page.getByRole('link', { name: /Mailbox/ }).count()).toBe(0);

    await page.goto('/no-such-page');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
  });

  it('says "API unreachable" when the API is down, and keeps polling', async () => {
    screenshotOnFailure('unreachable');
    await page.goto('/status');
    const overall = page.getByTestId('status-overall');
    await expect.poll(() => overall.getAttribute('data-status'), { timeout: 15_000 }).toBe('ok');

    apiClosed = true;
    await api?.close();

    // The open page flips on its next poll (every 5 s) and keeps the last known state, marked stale.
    await expect.poll(() => overall.getAttribute('data-status'), { timeout: 15_000 }).toBe('unreachable');
    expect(await page.getByTestId('check-db').count()).toBe(1);
    const stale = page.getByTestId('status-stale');
    await stale.waitFor();
    expect(await stale.textContent()).toContain('API unreachable');
    await screenshot('status-stale');

    // A fresh visit has nothing to show but the failure.
    await page.reload();
    const unreachable = page.getByTestId('status-unreachable');
    await unreachable.waitFor({ timeout: 15_000 });
    expect(await unreachable.textContent()).toContain('API unreachable');
    expect(await overall.getAttribute('data-status')).toBe('unreachable');
    await screenshot('status-unreachable');
  });
});
