import { readFile } from 'node:fs/promises';
import { createTestOrg, createTestUser, uniqueEmail } from '@atrium/testkit/factories';
import { expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { callProcedure, signInWithApi } from './session.ts';

/**
 * The audit log as an operator reads it: their own actions in the platform's log (not their org's),
 * people by name, filters by person and action chosen from lists, and a CSV export.
 */
describeInBrowser('audit log: platform chain, names, filters, CSV', () => {
  const stack = useE2eStack({ name: 'audit' });

  it("shows an operator's queue pause in the platform log, by name, filtered and exported", async () => {
    stack.screenshotOnFailure('audit');
    const org = await createTestOrg(stack.database.db, { name: 'Operators Home' });
    const operator = await createTestUser(stack.database.db, {
      orgId: org.id,
      email: uniqueEmail('olga'),
      name: 'Olga Operator',
      roles: ['admin'],
      platformRole: 'operator',
    });
    const page = await stack.open({ viewport: { width: 1366, height: 900 } });
    const session = await signInWithApi(page, operator);
    for (const path of ['ops.pauseQueue', 'ops.resumeQueue']) {
      await callProcedure(
        page.context().request,
        path,
        { queue: 'ops.pipeline-probe' },
        { accessToken: session.accessToken },
      );
    }

    await page.goto('/admin/audit');
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    // The organisation's log: the sign-in, not the operator's queue actions.
    expect(await page.locator('[data-testid="audit-row"][data-action^="ops."]').count()).toBe(0);
    expect(await page.getByTestId('audit-actor').first().textContent()).toBe('Olga Operator');

    await page.getByLabel("Platform (operators' actions)").check();
    await page.getByRole('heading', { name: 'Platform audit log' }).waitFor();
    const paused = page.locator('[data-testid="audit-row"][data-action="ops.queue.paused"]');
    await paused.waitFor();
    expect(await paused.getByTestId('audit-actor').textContent()).toBe('Olga Operator');

    // Filters from lists: the actions and the people the log holds.
    await page.getByLabel('Person', { exact: true }).selectOption({ label: 'Olga Operator' });
    await page.getByLabel('Action', { exact: true }).selectOption('ops.queue.resumed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().getAttribute('data-action')).toBe('ops.queue.resumed');
    await screenshot(page, 'audit-platform');
    // The log and its filters are in the address: a reload shows the same.
    expect(new URL(page.url()).searchParams.get('chain')).toBe('platform');
    expect(new URL(page.url()).searchParams.get('action')).toBe('ops.queue.resumed');
    await page.reload();
    await page.getByRole('heading', { name: 'Platform audit log' }).waitFor();
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().getAttribute('data-action')).toBe('ops.queue.resumed');
    expect(await page.getByLabel('Action', { exact: true }).inputValue()).toBe('ops.queue.resumed');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-platform-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('Olga Operator,ops.queue.resumed,queue,ops.pipeline-probe');
    expect(await page.getByTestId('audit-export-result').textContent()).toBe('Exported 1 entry.');
  });
});
