import { randomUUID } from 'node:crypto';
import { createTestJob } from '@atrium/testkit/factories';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { createOperator, PROBE_DEAD_LETTERS, PROBE_QUEUE, probeEnvelope } from './ops-fixtures.ts';
import { signInWithApi } from './session.ts';

/** Nothing works the probe queue here, so jobs stay where the test puts them. */
const QUEUE = PROBE_QUEUE;
const DEAD_LETTERS = PROBE_DEAD_LETTERS;

describeInBrowser('ops console: selections, bulk actions, delayed jobs, the sorted queues table', () => {
  const stack = useE2eStack({ name: 'ops-bulk' });
  const { screenshotOnFailure } = stack;
  let page: Page;

  const boss = () => stack.api().services.ops.boss();

  /** A job of the probe queue: failed for good (its copy waits as a dead letter), or delayed. */
  async function probeJob(options: Parameters<typeof createTestJob>[3] = {}): Promise<string> {
    return createTestJob(await boss(), QUEUE, probeEnvelope(`e2e-${randomUUID().slice(0, 8)}`), options);
  }
  const failedJob = (reason: string) => probeJob({ failWith: reason });

  beforeAll(async () => {
    const operator = await createOperator(stack.database.db, 'Ops Bulk E2E');
    page = await stack.open();
    await signInWithApi(page, operator);
  });

  it('selects two failed jobs, keeps the selection over a reload, and retries them', async () => {
    screenshotOnFailure('ops-bulk-retry');
    const first = await failedJob('first refused');
    const second = await failedJob('second refused');
    const untouched = await failedJob('third refused');

    await page.goto(`/ops/queues/${QUEUE}?state=failed`);
    await page.getByTestId(`job-${first}`).waitFor({ timeout: 15_000 });
    // The failed tab speaks plainly, and so does each row.
    expect(await page.getByTestId('state-tab-failed').textContent()).toContain('Failed for good');
    expect(await page.getByTestId(`job-${first}`).textContent()).toContain('Failed for good');

    await page.getByLabel(`Select job ${first}`).check();
    await page.getByLabel(`Select job ${second}`).check();
    expect(await page.getByTestId('bulk-count').textContent()).toBe('2 jobs selected');
    const selected = new URL(page.url()).searchParams.get('sel')?.split(',') ?? [];
    expect(selected.sort()).toEqual([first, second].sort());

    // A reload (or the link, shared) shows the same view with the same rows ticked.
    await page.reload();
    await page.getByTestId(`job-${first}`).waitFor({ timeout: 15_000 });
    expect(await page.getByLabel(`Select job ${first}`).isChecked()).toBe(true);
    expect(await page.getByLabel(`Select job ${second}`).isChecked()).toBe(true);
    expect(await page.getByLabel(`Select job ${untouched}`).isChecked()).toBe(false);
    await screenshot(page, 'ops-bulk-selection');

    await page.getByRole('button', { name: 'Retry selected' }).click();
    const result = page.getByTestId('result-notice');
    await result.waitFor();
    expect(await result.textContent()).toContain('2 jobs retried.');
    // They left the failed list; the third is still there, and nothing is selected any more.
    await expect.poll(() => page.getByTestId(`job-${first}`).count(), { timeout: 15_000 }).toBe(0);
    expect(await page.getByTestId(`job-${second}`).count()).toBe(0);
    expect(await page.getByTestId(`job-${untouched}`).count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('sel')).toBeNull();

    await page.goto(`/ops/queues/${QUEUE}?state=retry`);
    const retried = page.getByTestId(`job-${first}`);
    await retried.waitFor({ timeout: 15_000 });
    expect(await retried.getAttribute('data-state')).toBe('retry');
  });

  it('discards every dead letter of a queue after a confirm that names the count', async () => {
    screenshotOnFailure('ops-bulk-discard-all');
    await failedJob('mailbox full');
    await failedJob('mailbox full');
    // The former address opens the Failures page on its tab.
    await page.goto(`/ops/dead-letters?queue=${DEAD_LETTERS}`);
    await page.waitForURL(/\/ops\/failures\?/);
    expect(new URL(page.url()).searchParams.get('tab')).toBe('dead-letters');
    const waiting = page.getByTestId(`dlq-waiting-${DEAD_LETTERS}`);
    await expect.poll(() => waiting.textContent(), { timeout: 15_000 }).not.toBe('0');
    const count = Number(await waiting.textContent());
    expect(count).toBeGreaterThanOrEqual(2);
    // Each dead letter says why it is there.
    const rows = page.getByTestId('jobs-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(await rows.first().textContent()).toContain('mailbox full');

    await page.getByRole('button', { name: `Discard all dead letters of ${DEAD_LETTERS}` }).click();
    const dialog = page.getByRole('dialog', { name: `Discard ${count} dead letters of ${DEAD_LETTERS}?` });
    await dialog.waitFor();
    expect(await dialog.getByRole('button', { name: 'Keep' }).count()).toBe(1);
    await screenshot(page, 'ops-bulk-discard-all');
    await dialog.getByRole('button', { name: `Discard ${count} dead letters` }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.getByTestId('result-notice').textContent()).toContain(
      `${count} dead letters discarded from ${DEAD_LETTERS}.`,
    );
    await expect.poll(() => waiting.textContent(), { timeout: 15_000 }).toBe('0');
    expect(await page.getByTestId('jobs-empty').textContent()).toContain('No dead letters are waiting');
  });

  it('runs a delayed job now, from its page and from a selection', async () => {
    screenshotOnFailure('ops-bulk-run-now');
    const single = await probeJob({ startAfter: 3_600 });
    const selected = await probeJob({ startAfter: 3_600 });

    await page.goto(`/ops/queues/${QUEUE}/jobs/${single}`);
    const state = page.getByTestId('job-state');
    await state.waitFor({ timeout: 15_000 });
    expect(await state.getAttribute('data-delayed')).toBe('true');
    expect(await state.textContent()).toMatch(/^Scheduled for /);
    await page.getByRole('button', { name: 'Run now', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Run this job now?' });
    await dialog.getByRole('button', { name: 'Run it now' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => state.getAttribute('data-delayed'), { timeout: 15_000 }).toBe('false');
    expect(await state.textContent()).toBe('Waiting');
    expect(await page.getByRole('button', { name: 'Run now', exact: true }).count()).toBe(0);

    await page.goto(`/ops/queues/${QUEUE}?state=created`);
    const row = page.getByTestId(`job-${selected}`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getAttribute('data-delayed')).toBe('true');
    await page.getByLabel(`Select job ${selected}`).check();
    await page.getByRole('button', { name: 'Run selected now' }).click();
    await page.getByTestId('result-notice').waitFor();
    expect(await page.getByTestId('result-notice').textContent()).toContain('1 job set to run now.');
    await expect.poll(() => row.getAttribute('data-delayed'), { timeout: 15_000 }).toBe('false');
    expect(await row.textContent()).toContain('Waiting');
  });

  it('sorts the queues table by a column; the order and the address change and survive a reload', async () => {
    screenshotOnFailure('ops-bulk-sort');
    await failedJob('for the sort');
    await page.goto('/ops/queues');
    const table = page.getByTestId('queues-table');
    const firstRow = () => table.locator('tbody tr').first().getAttribute('data-testid');
    const lastRow = () => table.locator('tbody tr').last().getAttribute('data-testid');
    await page.getByTestId(`queue-${QUEUE}`).waitFor({ timeout: 15_000 });
    // Unsorted: the catalogue's order, the probe queue among the first rows, not the last.
    expect(await lastRow()).not.toBe(`queue-${QUEUE}`);

    // Most failed first: the probe queue is the only one with failed jobs.
    await page.getByRole('button', { name: 'Sort by failed for good' }).click();
    await page.waitForURL(/sort=failed/);
    const url = new URL(page.url());
    expect([url.searchParams.get('sort'), url.searchParams.get('dir')]).toEqual(['failed', 'desc']);
    await expect.poll(firstRow, { timeout: 15_000 }).toBe(`queue-${QUEUE}`);

    // Again: fewest first, the probe queue last.
    await page.getByRole('button', { name: /^Sort by failed for good, now descending/ }).click();
    await page.waitForURL(/dir=asc/);
    await expect.poll(lastRow, { timeout: 15_000 }).toBe(`queue-${QUEUE}`);

    await page.reload();
    await page.getByTestId(`queue-${QUEUE}`).waitFor({ timeout: 15_000 });
    await expect.poll(lastRow, { timeout: 15_000 }).toBe(`queue-${QUEUE}`);
    await screenshot(page, 'ops-bulk-queues-sorted');
    const header = table.locator('th[aria-sort]');
    expect(await header.getAttribute('aria-sort')).toBe('ascending');

    // Only queues with problems: the probe queue and its dead-letter queue.
    await page.getByLabel('Only queues with problems').check();
    await page.waitForURL(/problems=1/);
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.getByTestId(`queue-${DEAD_LETTERS}`).count()).toBe(1);
  });

  it('keeps the page of a jobs list in the address: a reload shows the same page', async () => {
    screenshotOnFailure('ops-bulk-page');
    // More cancelled jobs than one page holds (25 rows).
    const ids: string[] = [];
    for (let i = 0; i < 27; i += 1) ids.push(await probeJob());
    await (await boss()).cancel(QUEUE, ids);
    await page.goto(`/ops/queues/${QUEUE}?state=cancelled`);
    const rows = page.getByTestId('jobs-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(25);
    const pager = page.getByRole('navigation', { name: 'Pages of jobs' });
    await pager.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/[?&]after=/);
    await expect.poll(() => pager.textContent(), { timeout: 15_000 }).toContain('Page 2');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    const secondPage = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-testid')));

    await page.reload();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    expect(await pager.textContent()).toContain('Page 2');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-testid')))).toEqual(
      secondPage,
    );

    await pager.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(25);
    expect(new URL(page.url()).searchParams.get('after')).toBeNull();
  });
});
