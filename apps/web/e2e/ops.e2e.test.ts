import { randomUUID } from 'node:crypto';
import { recordQueueSamples } from '@atrium/domain/ops/history';
import { createOpsAnnouncer } from '@atrium/domain/ops/live';
import { createTestJob, createTestOrg, createTestUser } from '@atrium/testkit/factories';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { createOperator, PROBE_DEAD_LETTERS, PROBE_QUEUE, probeEnvelope } from './ops-fixtures.ts';
import { signInWithApi } from './session.ts';

/** Nothing works the probe queue here. */
const QUEUE = PROBE_QUEUE;
const DEAD_LETTERS = PROBE_DEAD_LETTERS;

describeInBrowser('ops console: built app, real API and pg-boss, Chromium', () => {
  const stack = useE2eStack({ name: 'ops' });
  const { screenshotOnFailure } = stack;
  let page: Page;

  const boss = () => stack.api().services.ops.boss();

  /**
   * What a worker whose handler throws does to a job of the queue: take it, then fail it. With no
   * retries left pg-boss marks it failed and copies it into the dead-letter queue.
   */
  async function produceFailedJob(probeId: string): Promise<string> {
    return createTestJob(await boss(), QUEUE, probeEnvelope(probeId), {
      failWith: `probe ${probeId} refused by the handler`,
    });
  }

  /** The number in a queue's row for one job state. */
  const countIn = (queue: string, state: string) =>
    page.getByTestId(`queue-${queue}`).locator(`[data-state-count="${state}"]`).getAttribute('data-count');

  beforeAll(async () => {
    const operator = await createOperator(stack.database.db, 'Ops E2E');
    page = await stack.open();
    await signInWithApi(page, operator);
  });

  it('an operator sees a failed job, retries it and watches the counts change', async () => {
    screenshotOnFailure('ops-retry');
    const probeId = `e2e-${randomUUID().slice(0, 8)}`;
    const jobId = await produceFailedJob(probeId);
    // What every worker's sampler does each OPS_SAMPLE_SECONDS: one row per queue for the charts.
    const { services } = stack.api();
    await recordQueueSamples(
      { db: services.db, queues: services.ops.queues, catalogue: services.ops.catalogue },
      { intervalSeconds: 1 },
    );

    // Overview: the failure shows in the KPIs, and its copy waits as a dead letter.
    await page.goto('/ops');
    const failedKpi = page.getByTestId('kpi-failed');
    await expect
      .poll(() => failedKpi.locator('.ops-kpi__value').textContent(), { timeout: 15_000 })
      .toBe('1');
    expect(await page.getByTestId('kpi-dead-letters').locator('.ops-kpi__value').textContent()).toBe('1');
    expect(await page.getByTestId('ops-scope').getAttribute('data-scope')).toBe('platform');
    await screenshot(page, 'ops-overview');

    // Queues: one failed job in the probe queue, one dead letter in its dead-letter queue.
    await page
      .getByRole('navigation', { name: 'Ops sections' })
      .getByRole('link', { name: 'Queues' })
      .click();
    await page.waitForURL('**/ops/queues');
    await expect.poll(() => countIn(QUEUE, 'failed'), { timeout: 15_000 }).toBe('1');
    expect(await countIn(DEAD_LETTERS, 'created')).toBe('1');
    await page.getByTestId(`sparkline-${QUEUE}`).waitFor();
    await screenshot(page, 'ops-queues-failed');

    // The failed count links to the queue's failed jobs; searching the payload finds the job.
    await page.getByRole('link', { name: `1 failed for good in ${QUEUE}` }).click();
    await page.waitForURL(`**/ops/queues/${QUEUE}?state=failed`);
    const row = page.getByTestId(`job-${jobId}`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('failed');
    // The depth chart plots the sample: one bucket, holding the failed job.
    const depthChart = page.getByTestId('chart-depth');
    await expect.poll(() => depthChart.getAttribute('data-points'), { timeout: 15_000 }).toBe('1');
    expect(await depthChart.locator('svg > title').textContent()).toContain('Failed (kept) 1');
    await screenshot(page, 'ops-queue-failed-jobs');
    expect(await row.textContent()).toContain(`probe ${probeId} refused by the handler`);
    await page.getByLabel('Search by job id or payload').fill(probeId);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/[?&]q=e2e-/);
    await row.waitFor();
    const rows = page.getByTestId('jobs-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);

    // Job detail: payload, error, and its copy in the dead-letter queue.
    await row.getByRole('link', { name: `Job ${jobId}` }).click();
    await page.waitForURL(`**/ops/queues/${QUEUE}/jobs/${jobId}`);
    const state = page.getByTestId('job-state');
    expect(await state.getAttribute('data-state')).toBe('failed');
    expect(await page.getByTestId('job-error').textContent()).toBe(`probe ${probeId} refused by the handler`);
    expect(await page.getByTestId('job-payload').textContent()).toContain(probeId);
    expect(await page.getByTestId('job-copies').textContent()).toContain(DEAD_LETTERS);
    await screenshot(page, 'ops-job-failed');

    // Retry asks first, then says what happened.
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry this failed job?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Retry job' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const result = page.getByTestId('result-notice');
    await result.waitFor();
    expect(await result.textContent()).toMatch(
      /retried: it waits for a worker \(retrying\); its copy in the dead-letter queue was removed \(1\)/,
    );
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('retry');
    expect(await page.getByRole('button', { name: 'Retry', exact: true }).count()).toBe(0);
    await screenshot(page, 'ops-job-retried');

    // Back on the queues table the failure is gone: no failed job, no dead letter, one waiting retry.
    await page
      .getByRole('navigation', { name: 'Ops sections' })
      .getByRole('link', { name: 'Queues' })
      .click();
    await page.waitForURL('**/ops/queues');
    await expect.poll(() => countIn(QUEUE, 'failed'), { timeout: 15_000 }).toBe('0');
    expect(await countIn(QUEUE, 'retry')).toBe('1');
    expect(await countIn(DEAD_LETTERS, 'created')).toBe('0');

    // A worker takes the retried job and its handler succeeds this time; the open page follows live.
    const [taken] = await (await boss()).fetch(QUEUE, { batchSize: 10 });
    expect(taken?.id).toBe(jobId);
    await (await boss()).complete(QUEUE, jobId, { acknowledged: probeId });
    // …and, as every worker does when a job settles, says so on the event stream.
    const announcer = createOpsAnnouncer({
      db: stack.api().services.db,
      realtime: stack.api().services.realtime.publisher,
      intervalMs: 10,
    });
    announcer.touch(null, 'jobs');
    await announcer.stop();
    await expect.poll(() => countIn(QUEUE, 'completed'), { timeout: 15_000 }).toBe('1');
    expect(await countIn(QUEUE, 'retry')).toBe('0');
    expect(await countIn(QUEUE, 'failed')).toBe('0');
    await screenshot(page, 'ops-queues-completed');

    await page.goto(`/ops/queues/${QUEUE}/jobs/${jobId}`);
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('completed');
    expect(await page.getByTestId('job-output').textContent()).toContain(probeId);
  });

  it('draws every sparkline from one request, and a queue without failures shows no red', async () => {
    screenshotOnFailure('ops-sparklines');
    const { services } = stack.api();
    await recordQueueSamples(
      { db: services.db, queues: services.ops.queues, catalogue: services.ops.catalogue },
      { intervalSeconds: 1 },
    );
    // Every history procedure the page calls, batched or not (tRPC puts the names in the path).
    const historyCalls: string[] = [];
    const onRequest = (request: { url(): string }) => {
      const path = decodeURIComponent(new URL(request.url()).pathname);
      for (const name of path.split(/[/,]/)) if (name.startsWith('ops.queueHistor')) historyCalls.push(name);
    };
    page.on('request', onRequest);
    try {
      await page.goto('/ops/queues');
      await page.getByTestId(`sparkline-${QUEUE}`).waitFor({ timeout: 15_000 });
      const rows = await page.getByTestId('queues-table').locator('tbody tr').count();
      expect(rows).toBeGreaterThan(2);
      expect(historyCalls).toEqual(['ops.queueHistories']);
      // No row was refused by the limit on heavy calls.
      expect(await page.getByText('chart failed').count()).toBe(0);
      // The probe queue had a failed job this hour: red. Its dead-letter queue never had one: not red.
      expect(await page.getByTestId(`sparkline-series-${QUEUE}`).getAttribute('data-series')).toBe(
        'waiting,failed',
      );
      expect(await page.getByTestId(`sparkline-series-${DEAD_LETTERS}`).getAttribute('data-series')).toBe(
        'waiting',
      );
    } finally {
      page.off('request', onRequest);
    }
  });

  it('redrives every dead letter and says how many moved', async () => {
    screenshotOnFailure('ops-redrive');
    await produceFailedJob(`e2e-${randomUUID().slice(0, 8)}`);
    await produceFailedJob(`e2e-${randomUUID().slice(0, 8)}`);

    await page.goto('/ops/dead-letters');
    const waiting = page.getByTestId(`dlq-waiting-${DEAD_LETTERS}`);
    await expect.poll(() => waiting.textContent(), { timeout: 15_000 }).toBe('2');
    const deadLetterRows = page.getByTestId('jobs-table').locator('tbody tr');
    await expect.poll(() => deadLetterRows.count(), { timeout: 15_000 }).toBe(2);

    await page.getByRole('button', { name: `Redrive all dead letters of ${DEAD_LETTERS}` }).click();
    const dialog = page.getByRole('dialog', { name: `Redrive every dead letter of ${DEAD_LETTERS}?` });
    await dialog.getByRole('button', { name: 'Redrive all' }).click();
    const result = page.getByTestId('result-notice');
    await result.waitFor();
    expect(await result.textContent()).toContain(`2 dead letters redriven from ${DEAD_LETTERS}.`);
    await expect.poll(() => waiting.textContent(), { timeout: 15_000 }).toBe('0');
    expect(await page.getByTestId('jobs-empty').textContent()).toContain('No dead letters are waiting');

    // The redriven jobs wait in their source queue as new jobs.
    await page.goto('/ops/queues');
    await expect.poll(() => countIn(QUEUE, 'created'), { timeout: 15_000 }).toBe('2');
    await screenshot(page, 'ops-redriven');
  });

  it('creates a schedule (showing the API’s field errors first) and pauses it', async () => {
    screenshotOnFailure('ops-schedule');
    await page.goto('/ops/schedules');
    await page.getByRole('link', { name: 'New schedule' }).click();
    await page.waitForURL('**/ops/schedules/new');

    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('e2e-audit-report');
    await page.getByRole('combobox', { name: 'Handler' }).fill('audit.integrity-report');
    await page.getByRole('textbox', { name: 'Cron expression' }).fill('99 2 * * *');
    await page.getByRole('combobox', { name: 'Time zone' }).fill('Europe/Berlin');
    await page.getByRole('radio', { name: /Skip missed runs/ }).check();
    await page.getByRole('button', { name: 'Create schedule' }).click();

    // The API refuses the cron expression; its message sits next to the field.
    const cronField = page.getByRole('textbox', { name: 'Cron expression' });
    await expect.poll(() => cronField.getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true');
    // The message is the field's own: no banner repeats it.
    expect(await page.getByTestId('error-message').count()).toBe(0);
    const invalid = page.locator('.field--invalid');
    expect(await invalid.count()).toBe(1);
    expect(await invalid.textContent()).toMatch(/Cron expression.*Cron expression/);
    await screenshot(page, 'ops-schedule-invalid');

    await cronField.fill('30 2 * * *');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.waitForURL(/\/ops\/schedules\/[0-9a-f-]{36}$/);
    const status = page.getByTestId('schedule-status');
    expect(await status.getAttribute('data-state')).toBe('active');
    expect(await page.getByTestId('result-notice').textContent()).toContain('e2e-audit-report created.');
    expect(await page.locator('main').textContent()).toContain('cron 30 2 * * * (Europe/Berlin)');
    // The cron expression read out, and the next runs written in the schedule's own time zone.
    const words = page.getByTestId('schedule-timing-words');
    await words.waitFor();
    expect(await words.textContent()).toBe('Every day at 02:30, Europe/Berlin time');
    const nextRuns = page.getByTestId('schedule-next-runs').locator('li');
    await expect.poll(() => nextRuns.count(), { timeout: 10_000 }).toBe(5);
    for (const run of await nextRuns.allTextContents()) expect(run).toMatch(/, 02:30$/);
    await screenshot(page, 'ops-schedule');

    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page
      .getByRole('dialog', { name: 'Pause e2e-audit-report?' })
      .getByRole('button', { name: 'Pause schedule' })
      .click();
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 15_000 }).toBe('paused');
    expect(await page.getByTestId('result-notice').textContent()).toContain('e2e-audit-report paused');
    expect(await page.getByRole('button', { name: 'Resume', exact: true }).count()).toBe(1);

    await page.goto('/ops/schedules?status=paused');
    const listed = page.getByTestId('schedule-e2e-audit-report');
    await listed.waitFor({ timeout: 15_000 });
    expect(await listed.getAttribute('data-status')).toBe('paused');
    await expect.poll(() => listed.textContent(), { timeout: 15_000 }).toContain('no runs yet');
    await screenshot(page, 'ops-schedules');

    // Deleting asks first, then returns to the list, which says so and no longer shows it.
    await listed.getByRole('link', { name: 'e2e-audit-report' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page
      .getByRole('dialog', { name: 'Delete e2e-audit-report?' })
      .getByRole('button', { name: 'Delete schedule' })
      .click();
    await page.waitForURL(/\/ops\/schedules$/);
    expect(await page.getByTestId('schedule-deleted').textContent()).toContain('e2e-audit-report deleted');
    await expect
      .poll(() => page.getByTestId('schedule-e2e-audit-report').count(), { timeout: 15_000 })
      .toBe(0);
  });
  it('lets an operator allow an organisation to email people outside it, and a reload shows it saved', async () => {
    screenshotOnFailure('ops-organisations');
    const harbour = await createTestOrg(stack.database.db, { name: 'Harbour Radio' });
    await createTestUser(stack.database.db, {
      orgId: harbour.id,
      email: 'hana@harbour-radio.example',
      name: 'Hana Host',
      roles: ['admin'],
    });
    await page.goto('/ops');
    await page
      .getByRole('navigation', { name: 'Ops sections' })
      .getByRole('link', { name: 'Organisations' })
      .click();
    await page.waitForURL('**/ops/organisations');

    // Search by name; the new org starts with the platform's defaults.
    await page.getByLabel('Search', { exact: true }).fill('harbour');
    await page.getByRole('button', { name: 'Apply' }).click();
    const row = page.locator('[data-testid="org-row"][data-slug="harbour-radio"]');
    await expect.poll(() => page.getByTestId('org-row').count(), { timeout: 10_000 }).toBe(1);
    expect(await row.textContent()).toContain('Harbour Radio');
    expect(await row.getByTestId('org-recipients').textContent()).toBe('Members only');
    expect(await row.getByTestId('org-quota').textContent()).toBe('Platform default (200)');

    await row.getByRole('button', { name: 'Email policy of Harbour Radio' }).click();
    const dialog = page.getByRole('dialog', { name: 'Email policy of Harbour Radio' });
    await dialog.getByLabel(/May email people outside the organisation/).check();
    // Not a number: refused next to the field before anything is sent.
    await dialog.getByLabel('Emails per hour', { exact: true }).fill('lots');
    await dialog.getByRole('button', { name: 'Save policy' }).click();
    await dialog.getByText('A whole number from 0 to').waitFor();
    await dialog.getByLabel('Emails per hour', { exact: true }).fill('50');
    await dialog.getByRole('button', { name: 'Save policy' }).click();
    await page.getByTestId('result-notice').waitFor();
    expect(await page.getByTestId('result-notice').textContent()).toContain(
      'Harbour Radio: may email anyone',
    );
    await expect
      .poll(() => row.getByTestId('org-recipients').textContent(), { timeout: 10_000 })
      .toBe('Anyone');
    expect(await row.getByTestId('org-quota').textContent()).toBe('50');
    await screenshot(page, 'ops-organisations');

    // Saved on the platform, not just on screen.
    await page.reload();
    await row.waitFor();
    expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('harbour');
    expect(await page.getByTestId('org-row').count()).toBe(1);
    expect(await row.getByTestId('org-recipients').textContent()).toBe('Anyone');
    expect(await row.getByTestId('org-quota').textContent()).toBe('50');
    await row.getByRole('button', { name: 'Email policy of Harbour Radio' }).click();
    expect(await dialog.getByLabel(/May email people outside the organisation/).isChecked()).toBe(true);
    expect(await dialog.getByLabel('Emails per hour', { exact: true }).inputValue()).toBe('50');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('retries every failed job of a queue at once', async () => {
    screenshotOnFailure('ops-retry-all');
    await produceFailedJob(`e2e-${randomUUID().slice(0, 8)}`);
    await produceFailedJob(`e2e-${randomUUID().slice(0, 8)}`);
    await page.goto('/ops/queues');
    await page.getByRole('link', { name: QUEUE, exact: true }).click();
    await page.waitForURL(`**/ops/queues/${QUEUE}`);
    const failedBefore = Number(
      await page
        .getByRole('button', { name: /^Retry all failed \(\d+\)$/ })
        .textContent()
        .then((t) => /\d+/.exec(t ?? '')?.[0]),
    );
    expect(failedBefore).toBeGreaterThanOrEqual(2);
    await page.getByRole('button', { name: `Retry all failed (${failedBefore})` }).click();
    await page
      .getByRole('dialog', { name: `Retry ${failedBefore} failed jobs of ${QUEUE}?` })
      .getByRole('button', { name: `Retry ${failedBefore} failed jobs` })
      .click();
    const result = page.getByTestId('result-notice');
    await result.waitFor();
    expect(await result.textContent()).toContain(`${failedBefore} failed jobs of ${QUEUE} retried`);
    await expect
      .poll(() => page.getByRole('button', { name: /^Retry all failed/ }).count(), { timeout: 15_000 })
      .toBe(0);
  });

  it('says a missing job is not there, without offering to try again or showing codes', async () => {
    screenshotOnFailure('ops-job-not-found');
    await page.goto(`/ops/queues/${QUEUE}/jobs/${randomUUID()}`);
    const error = page.getByTestId('error-message');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('NOT_FOUND');
    expect(await error.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    expect(await error.textContent()).not.toMatch(/NOT_FOUND|request /);
  });

  it('finds a job in any queue from the queues page', async () => {
    screenshotOnFailure('ops-search-all');
    const probeId = `e2e-${randomUUID().slice(0, 8)}`;
    const jobId = await produceFailedJob(probeId);
    await page.goto('/ops/queues');
    await page.getByLabel('Find a job in every queue').fill(probeId);
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.waitForURL(/\/ops\/jobs\?q=e2e-/);
    const row = page.getByTestId(`job-${jobId}`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByRole('link', { name: QUEUE, exact: true }).count()).toBe(1);
    // Its copy waiting in the dead-letter queue is found too, with that queue named.
    const rows = page.getByTestId('jobs-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    expect(
      await page.getByTestId('jobs-table').getByRole('link', { name: DEAD_LETTERS, exact: true }).count(),
    ).toBe(1);
  });
});
