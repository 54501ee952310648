import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeInBrowser, useE2eStack } from './harness.ts';
import { createOperator, probeEnvelope } from './ops-fixtures.ts';
import { signInWithApi } from './session.ts';

const QUEUE = 'ops.pipeline-probe';

/**
 * Live Ops numbers: when a worker settles a job, open Ops pages refetch on the `ops.changed` event
 * instead of waiting for their 30-second safety-net poll.
 */
describeInBrowser('ops console: live updates over the event stream', () => {
  const stack = useE2eStack({ name: 'ops-live', worker: true });

  it('shows a job the worker completes within seconds, without reloading or polling', async () => {
    stack.screenshotOnFailure('ops-live');
    const operator = await createOperator(stack.database.db, 'Live Org');
    const page = await stack.open();
    await signInWithApi(page, operator);
    await page.goto('/ops/queues');
    const completed = page.getByTestId(`queue-${QUEUE}`).locator('[data-state-count="completed"]');
    await completed.waitFor();
    expect(await completed.getAttribute('data-count')).toBe('0');
    // The tab names the page.
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('Queues · Ops · Atrium');
    await expect
      .poll(() => page.getByTestId('queues-updated').textContent(), { timeout: 10_000 })
      .toContain('live');

    const probeId = randomUUID();
    const envelope = probeEnvelope(probeId, operator.orgId);
    const sentAt = Date.now();
    await (await stack.api().services.ops.boss()).send(QUEUE, envelope);
    // The safety-net poll runs every 30 s: only the event can make this happen in under 10.
    await expect
      .poll(() => completed.getAttribute('data-count'), { timeout: 10_000, interval: 200 })
      .toBe('1');
    expect(Date.now() - sentAt).toBeLessThan(10_000);
  });
});
