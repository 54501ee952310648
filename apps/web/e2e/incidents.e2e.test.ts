import { createTestOrg, createTestUser, uniqueEmail } from '@atrium/testkit/factories';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { signInWithApi } from './session.ts';

/**
 * Alert rules and incidents end to end (SPEC §7): an admin creates a rule and an API key in the app,
 * a script ingests matching events with the key over plain HTTP, the incident appears live on the
 * Incidents page (relay → worker → `incident.opened`), and the admin acknowledges and resolves it.
 */
describeInBrowser('incidents: rule, API key, live incident, acknowledge and resolve', () => {
  const stack = useE2eStack({ name: 'incidents', worker: true, mail: true });
  let page: Page;

  beforeAll(async () => {
    const org = await createTestOrg(stack.database.db, { name: 'Incidents E2E' });
    const admin = await createTestUser(stack.database.db, {
      orgId: org.id,
      email: uniqueEmail('admin'),
      name: 'Ada Admin',
      roles: ['admin'],
    });
    page = await stack.open();
    await signInWithApi(page, admin);
  });

  it('an admin’s rule opens an incident from ingested events, live, and the admin resolves it', async () => {
    stack.screenshotOnFailure('incidents');

    // A rule: 3 errors from "checkout" containing "timeout" within 5 minutes.
    await page.goto('/admin/alert-rules');
    await page.getByRole('button', { name: 'New rule' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Checkout timeouts');
    await dialog.getByLabel('Source (optional)').fill('checkout');
    await dialog.getByLabel('Message contains (optional)').fill('timeout');
    await dialog.getByLabel('Threshold (events in the window)').fill('3');
    await dialog.getByTestId('rule-preview').getByText('would have matched').waitFor();
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await page.locator('[data-testid="rule-row"][data-rule="Checkout timeouts"]').waitFor();

    // An API key, shown once.
    await page.goto('/admin/api-keys');
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('checkout service');
    await page.getByRole('dialog').getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-api-key').textContent())?.trim() ?? '';
    expect(key).toMatch(/^atr_/);
    await page.getByRole('button', { name: 'Done' }).click();

    // The incidents page is open (and listening) before the events arrive.
    await page.goto('/admin/incidents');
    await page.getByTestId('incidents-empty').waitFor();

    // A script sends the events with the key, as any HTTP client would.
    const events = Array.from({ length: 3 }, (_, i) => ({
      level: 'error',
      source: 'checkout.payments',
      message: `Gateway timeout on order ${i} token=abc${i}secret`,
    }));
    const response = await fetch(`${stack.api().url}/trpc/logs.ingestBulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ json: { events } }),
    });
    expect(response.status).toBe(200);

    // Live: the row appears without a reload.
    const row = page.getByTestId('incident-row');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.getAttribute('data-status')).toBe('open');
    await screenshot(page, 'incidents-live');

    await row.getByRole('link').click();
    await page.getByTestId('incident-event').first().waitFor();
    expect(await page.getByTestId('incident-event').count()).toBe(3);
    expect(await page.getByRole('table', { name: 'Matching events' }).textContent()).toContain(
      'token=[REDACTED]',
    );
    await page.getByLabel('Note (optional)').fill('Gateway provider paged');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(() => page.getByTestId('incident-status').textContent(), { timeout: 10_000 })
      .toBe('acknowledged');
    await page.getByLabel('Note (optional)').fill('Provider fixed it');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await expect
      .poll(() => page.getByTestId('incident-status').textContent(), { timeout: 10_000 })
      .toBe('resolved');
    expect(await page.getByText('Provider fixed it').count()).toBe(1);
    await screenshot(page, 'incident-resolved');

    // Admin → Logs: the filters live in the URL; levels are coloured.
    await page.goto('/admin/logs?source=checkout&level=error&q=gateway');
    await expect.poll(() => page.getByTestId('log-row').count(), { timeout: 10_000 }).toBe(3);
    expect(await page.getByTestId('log-row').first().getAttribute('data-level')).toBe('error');
    expect(await page.getByLabel('Source').inputValue()).toBe('checkout');
    await page.getByLabel('Words in the message').fill('order 1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/q=order/);
    await expect.poll(() => page.getByTestId('log-row').count(), { timeout: 10_000 }).toBe(1);
    await screenshot(page, 'logs-filtered');
  });
});
