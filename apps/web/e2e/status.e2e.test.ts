import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_PASSWORD, seedDemo } from '@atrium/seed';
import { testRedisUrl } from '@atrium/testkit';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { WEB_DIR } from './build.ts';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { signInWithApi } from './session.ts';

describeInBrowser('status page: built app, real API, Chromium', () => {
  // A private Redis prefix: the sign-in below must not share its rate-limit counter with other files.
  const stack = useE2eStack({ name: 'status' });
  const { screenshotOnFailure } = stack;
  let page: Page;

  beforeAll(async () => {
    page = await stack.open();
    // The app's areas are for signed-in users (docs/identity.md); the demo admin sees them all.
    await seedDemo(stack.api().services.db);
    await signInWithApi(page, { email: 'admin@demo.atrium.local', password: DEMO_PASSWORD });
  });

  it('lands on /status and marks it current in the navigation', async () => {
    screenshotOnFailure('landing');
    await page.goto('/');
    await page.waitForURL('**/status');
    await expect.poll(() => page.title()).toBe('System status · Atrium');
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
    await screenshot(page, 'status-ok');
  });

  it('leads to the built areas, shows no dev-only ones, and has a 404 page', async () => {
    screenshotOnFailure('navigation');
    await page.getByRole('link', { name: 'Workplace', exact: true }).first().click();
    await page.waitForURL('**/workplace**');
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

    await stack.stopApi();

    // The open page flips on its next poll (every 5 s) and keeps the last known state, marked stale.
    await expect.poll(() => overall.getAttribute('data-status'), { timeout: 15_000 }).toBe('unreachable');
    expect(await page.getByTestId('check-db').count()).toBe(1);
    const stale = page.getByTestId('status-stale');
    await stale.waitFor();
    expect(await stale.textContent()).toContain('API unreachable');
    await screenshot(page, 'status-stale');

    // A fresh visit has nothing to show but the failure.
    await page.reload();
    const unreachable = page.getByTestId('status-unreachable');
    await unreachable.waitFor({ timeout: 15_000 });
    expect(await unreachable.textContent()).toContain('API unreachable');
    expect(await overall.getAttribute('data-status')).toBe('unreachable');
    await screenshot(page, 'status-unreachable');
  });
});
