import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PipelineProbeRequested } from '@atrium/domain/events/pipeline-probe';
import { recordQueueSamples } from '@atrium/domain/ops/history';
import {
  createTestJob,
  createTestOrg,
  createTestUser,
  testEnvelope,
  uniqueEmail,
} from '@atrium/testkit/factories';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeInBrowser, useE2eStack } from './harness.ts';
import { callProcedure, signInWithApi } from './session.ts';

/**
 * The console's screenshots in docs/screenshots (Ops overview, a queue, a job, the schedules list, the
 * audit log) at a laptop's 1366 px and a phone's 390 px, taken from the built app against the real
 * API, a real worker and pg-boss. Runs when asked: `CAPTURE_SCREENSHOTS=1 pnpm --filter @atrium/web
 * test:e2e -- screenshots` (writes into docs/screenshots, or into CAPTURE_SCREENSHOTS when it is a
 * path).
 */
const capture = process.env.CAPTURE_SCREENSHOTS;
const OUT_DIR =
  capture && capture !== '1' ? resolve(capture) : resolve(import.meta.dirname, '../../../docs/screenshots');
const QUEUE = 'ops.pipeline-probe';
const WIDTHS = [
  { name: '1366', viewport: { width: 1366, height: 900 } },
  { name: '390', viewport: { width: 390, height: 844 } },
] as const;

(capture ? describeInBrowser : describe.skip)('console screenshots for the docs', () => {
  const stack = useE2eStack({ name: 'screenshots', worker: true });
  let account: { email: string; password: string };
  let failedJobId: string;

  beforeAll(async () => {
    await mkdir(OUT_DIR, { recursive: true });
    const org = await createTestOrg(stack.database.db, { name: 'Harbour Radio' });
    account = await createTestUser(stack.database.db, {
      orgId: org.id,
      email: uniqueEmail('olga'),
      name: 'Olga Operator',
      roles: ['admin'],
      platformRole: 'operator',
    });
    const boss = await stack.api().services.ops.boss();
    const page = await stack.open();
    const session = await signInWithApi(page, account);
    const request = page.context().request;
    const token = { accessToken: session.accessToken };
    // Paused, the worker leaves the queue alone while a job of it fails for good (what a handler that
    // keeps throwing does); the pause and resume land in the platform audit log.
    await callProcedure(request, 'ops.pauseQueue', { queue: QUEUE }, token);
    const envelope = testEnvelope(
      PipelineProbeRequested,
      { probeId: 'probe-7f3a', requestedAt: new Date().toISOString() },
      { aggregateType: 'pipeline_probe', aggregateId: 'probe-7f3a', orgId: org.id },
    );
    failedJobId = await createTestJob(boss, QUEUE, envelope, {
      failWith: 'probe probe-7f3a refused: the downstream service answered 503',
    });
    await callProcedure(request, 'ops.resumeQueue', { queue: QUEUE }, token);
    const { services } = stack.api();
    await recordQueueSamples(
      { db: services.db, queues: services.ops.queues, catalogue: services.ops.catalogue },
      { intervalSeconds: 1 },
    );
    await callProcedure(
      request,
      'scheduler.create',
      {
        name: 'nightly-audit-report',
        handler: 'audit.integrity-report',
        kind: 'cron',
        cronExpr: '30 2 * * *',
        timezone: 'Europe/Berlin',
      },
      token,
    );
    await callProcedure(
      request,
      'scheduler.create',
      {
        name: 'hourly-event-retention',
        handler: 'maintenance.event-retention',
        kind: 'interval',
        intervalSeconds: 3600,
      },
      token,
    );
  });

  async function shoot(page: Page, name: string, width: string): Promise<void> {
    await page.screenshot({ path: join(OUT_DIR, `${name}-${width}.png`), fullPage: true });
  }

  for (const { name: width, viewport } of WIDTHS) {
    it(`captures the console at ${width} px`, async () => {
      stack.screenshotOnFailure(`screenshots-${width}`);
      const page = await stack.open({ viewport });
      await signInWithApi(page, account);

      await page.goto('/ops');
      await page.getByTestId('ops-processes').waitFor({ timeout: 20_000 });
      await page.locator('[data-testid^="process-"][data-status="live"]').first().waitFor();
      expect(await page.getByTestId('ops-status').getAttribute('data-status')).toBe('ok');
      await shoot(page, 'ops-overview', width);

      await page.goto(`/ops/queues/${QUEUE}?state=failed`);
      await page.getByTestId(`job-${failedJobId}`).waitFor({ timeout: 20_000 });
      await page.getByTestId('chart-depth').waitFor();
      await shoot(page, 'ops-queue', width);

      await page.goto(`/ops/queues/${QUEUE}/jobs/${failedJobId}`);
      await page.getByTestId('job-output').waitFor({ timeout: 20_000 });
      await shoot(page, 'ops-job', width);

      await page.goto('/ops/schedules');
      await page.getByTestId('schedule-nightly-audit-report').waitFor({ timeout: 20_000 });
      await shoot(page, 'ops-schedules', width);

      await page.goto('/admin/audit');
      await page.getByLabel("Platform (operators' actions)").check();
      await page
        .locator('[data-testid="audit-row"][data-action="ops.queue.paused"]')
        .waitFor({ timeout: 20_000 });
      await shoot(page, 'audit-log', width);
    });
  }
});
