import { hostname } from 'node:os';
import { type NodeProcess, spawnNode } from '@atrium/testkit';
import { createTestJob } from '@atrium/testkit/factories';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { createOperator } from './ops-fixtures.ts';
import { signInWithApi } from './session.ts';

/** A queue of the application's catalogue; the worker process consumes it. */
const QUEUE = 'ops.pipeline-probe';

describeInBrowser('ops console: a killed worker turns the overview red and is named', () => {
  const stack = useE2eStack({ name: 'ops-processes' });
  let page: Page;
  let worker: NodeProcess | undefined;
  let orgId: string;

  beforeAll(async () => {
    const operator = await createOperator(stack.database.db, 'Ops processes E2E');
    orgId = operator.orgId;
    page = await stack.open();
    await signInWithApi(page, operator);
  });

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await worker?.exited;
  });

  it('lists the live worker, then shows it missing and the queue without a consumer after kill -9', async () => {
    stack.screenshotOnFailure('ops-processes');
    // A worker started the way production starts it: its own process, configuration from the environment.
    worker = spawnNode('src/main.ts', {
      cwd: new URL('../../worker/', import.meta.url),
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: stack.database.url,
        DATABASE_POOL_SIZE: '4',
        WORKER_OPS_PORT: '0',
        OPS_HEARTBEAT_SECONDS: '1',
        LOG_LEVEL: 'info',
      },
    });
    await worker.waitForOutput('worker started', 60_000);
    const pid = Number((await worker.waitForOutput(/"pid":(\d+)/))[1]);
    const name = `${hostname()}:${pid}`;

    await page.goto('/ops');
    const row = page.locator(`[data-testid^="process-"][data-name="${name}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('live');
    const status = page.getByTestId('ops-status');
    expect(await status.getAttribute('data-status')).toBe('ok');
    await screenshot(page, 'ops-processes-live');

    worker.kill('SIGKILL');
    await worker.exited;
    // Work arrives for a queue only the dead worker consumed.
    await createTestJob(await stack.api().services.ops.boss(), QUEUE, {
      orgId,
      type: 'PipelineProbeRequested',
    });

    // Without reloading: the overview turns red, names the queue and the missing process.
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 30_000 }).toBe('alarm');
    await page.getByTestId(`unconsumed-${QUEUE}`).waitFor();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toContain(`Worker ${name} is missing`);
    expect(await page.getByTestId(`unconsumed-${QUEUE}`).textContent()).toContain(
      `${QUEUE} has 1 waiting job and no live worker`,
    );
    expect(await row.getAttribute('data-status')).toBe('missing');
    expect(await page.getByTestId('ops-health-status').getAttribute('data-status')).toBe('degraded');
    await screenshot(page, 'ops-processes-missing');
  });
});
