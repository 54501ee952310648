import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_PASSWORD, seedDemo } from '@atrium/seed';
import { testRedisUrl } from '@atrium/testkit';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { WEB_DIR } from './build.ts';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { atHome, signInWithApi } from './session.ts';

describeInBrowser('status page: built app, real API, Chromium', () => {
  // A private Redis prefix: the sign-ins below must not share their rate-limit counters with other files.
  const stack = useE2eStack({ name: 'status' });
  const { screenshotOnFailure } = stack;
  let page: Page;

  beforeAll(async () => {
    // System status is for signed-in users; its infrastructure detail for those who operate
    // (docs/ops.md). The demo operator holds ops.read through the platform role.
    await seedDemo(stack.api().services.db);
    page = await stack.open();
    await signInWithApi(page, { email: 'operator@demo.atrium.local', password: DEMO_PASSWORD });
  });

  it('sends a signed-out visitor from /status to sign-in, and offers no Status link', async () => {
    screenshotOnFailure('signed-out');
    const visitor = await stack.open();
    await visitor.goto('/status');
    await visitor.waitForURL('**/sign-in?next=%2Fstatus');
    const nav = visitor.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Status' }).count()).toBe(0);
    // Nothing about the infrastructure reaches a signed-out visitor.
    expect(await visitor.getByTestId('check-db').count()).toBe(0);
    expect(await visitor.getByTestId('api-unreachable').count()).toBe(0);
  });

  it('lands an operator on Home, with the Status page one click away and marked current', async () => {
    screenshotOnFailure('landing');
    await page.goto('/');
    await expect.poll(() => page.title()).toBe('Home · Atrium');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status' }).click();
    await page.waitForURL('**/status');
    await expect.poll(() => page.title()).toBe('System status · Atrium');
    const current = page.locator('nav[aria-label="Main"] [aria-current="page"]');
    expect(await current.count()).toBe(1);
    expect(await current.textContent()).toBe('Status');
  });

  it('shows an operator the overall status, every readiness check and the active adapters', async () => {
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
    await page.getByRole('link', { name: 'Ops', exact: true }).first().click();
    await page.waitForURL('**/ops**');
    // Production bundles have no dev-only areas.
    expect(await page.getByRole('link', { name: /Mailbox/ }).count()).toBe(0);

    await page.goto('/no-such-page');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
    await page.getByRole('link', { name: 'Go to Home' }).click();
    await page.waitForURL(atHome);
  });

  it('tells a member who does not operate only whether everything works', async () => {
    screenshotOnFailure('plain');
    const viewer = await stack.open();
    await signInWithApi(viewer, { email: 'viewer@demo.atrium.local', password: DEMO_PASSWORD });
    await viewer.goto('/status');
    const plain = viewer.getByTestId('status-plain');
    await expect.poll(() => plain.getAttribute('data-status'), { timeout: 15_000 }).toBe('ok');
    expect(await plain.textContent()).toContain('Everything works.');
    expect(await viewer.getByTestId('check-db').count()).toBe(0);
    expect(await viewer.getByTestId('adapter-database').count()).toBe(0);
    const nav = viewer.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Home' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Status' }).count()).toBe(0);
    await screenshot(viewer, 'status-plain');
  });

  it('says "API unreachable" when the API is down, and keeps polling; sign-in says so too', async () => {
    screenshotOnFailure('unreachable');
    const signIn = await stack.open();
    await signIn.goto('/sign-in');
    await signIn.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await signIn.getByTestId('api-unreachable').count()).toBe(0);
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

    // A fresh visit cannot restore the session without the API: it goes to sign-in, which says why.
    await page.reload();
    await page.waitForURL('**/sign-in?next=%2Fstatus');
    const unreachable = page.getByTestId('api-unreachable');
    await unreachable.waitFor({ timeout: 15_000 });
    expect(await unreachable.textContent()).toContain('Atrium cannot be reached');
    await screenshot(page, 'status-unreachable');

    // The sign-in page, open before the API went away, says it cannot be reached on its next check.
    const notice = signIn.getByTestId('api-unreachable');
    await notice.waitFor({ timeout: 20_000 });
    expect(await notice.textContent()).toContain('Atrium cannot be reached');
    await screenshot(signIn, 'sign-in-unreachable');
  });
});
