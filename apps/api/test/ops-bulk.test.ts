import { PLATFORM_AUDIT_CHAIN } from '@atrium/domain/audit/index';
import { PipelineProbeRequested } from '@atrium/domain/events/pipeline-probe';
import { useTestDatabase } from '@atrium/testkit';
import { createTestJob, createTestOrg, jobsOf, testEnvelope } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/services.ts';
import { testApiEnv } from './helpers.ts';
import { auditActions, codeOf, operatorSession, opsCaller, orgAdminSession } from './ops-helpers.ts';

const QUEUE = 'ops.pipeline-probe';
const DEAD_LETTERS = 'ops.pipeline-probe.dead-letter';

/** Bulk actions on a queue: retry every failed job at once, in the caller's scope. */
describe('ops bulk: retry all failed', () => {
  const t = useTestDatabase();
  let services: Services;
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
    orgA = (await createTestOrg(t.db, { name: 'Bulk A' })).id;
    orgB = (await createTestOrg(t.db, { name: 'Bulk B' })).id;
  });
  afterAll(() => services.close());

  async function failedJob(orgId: string, n: number): Promise<string> {
    const envelope = testEnvelope(
      PipelineProbeRequested,
      { probeId: `bulk-${n}`, requestedAt: new Date().toISOString() },
      { aggregateType: 'pipeline_probe', aggregateId: `bulk-${n}`, orgId },
    );
    return createTestJob(await services.ops.boss(), QUEUE, envelope, { failWith: `probe ${n} refused` });
  }

  it("an org admin retries their org's failed jobs only; an operator the rest, each org told", async () => {
    const a1 = await failedJob(orgA, 1);
    const a2 = await failedJob(orgA, 2);
    const b1 = await failedJob(orgB, 3);
    const stateOf = async (id: string) => (await jobsOf(t.db, QUEUE)).find((j) => j.id === id)?.state;
    expect((await jobsOf(t.db, DEAD_LETTERS)).filter((j) => j.state === 'created')).toHaveLength(3);

    const admin = opsCaller(services, orgAdminSession(orgA));
    expect(await admin.retryAllFailed({ queue: QUEUE })).toEqual({
      queue: QUEUE,
      retried: 2,
      removedDeadLetters: 2,
      more: false,
    });
    expect([await stateOf(a1), await stateOf(a2), await stateOf(b1)]).toEqual(['retry', 'retry', 'failed']);
    expect(await auditActions(t.db, orgA)).toEqual(['ops.queue.failed_retried']);

    const operator = opsCaller(services, operatorSession(orgA));
    expect(await operator.retryAllFailed({ queue: QUEUE })).toMatchObject({
      retried: 1,
      removedDeadLetters: 1,
    });
    expect(await stateOf(b1)).toBe('retry');
    expect((await jobsOf(t.db, DEAD_LETTERS)).filter((j) => j.state === 'created')).toEqual([]);
    expect(await auditActions(t.db, PLATFORM_AUDIT_CHAIN)).toEqual(['ops.queue.failed_retried']);
    expect(await auditActions(t.db, orgB)).toEqual(['ops.queue.failed_retried']);

    // Nothing left: nothing retried, nothing audited. Dead-letter queues are redriven, not retried.
    expect(await operator.retryAllFailed({ queue: QUEUE })).toMatchObject({ retried: 0 });
    expect(await auditActions(t.db, PLATFORM_AUDIT_CHAIN)).toHaveLength(1);
    expect(await codeOf(operator.retryAllFailed({ queue: DEAD_LETTERS }))).toBe('UNPROCESSABLE');
    expect(await codeOf(operator.retryAllFailed({ queue: 'no.such.queue' }))).toBe('NOT_FOUND');
  });

  it("searches every queue for a job when no queue is named (in the caller's scope)", async () => {
    const operator = opsCaller(services, operatorSession(orgA));
    const found = await operator.jobs({ search: 'bulk-3' });
    // The job in its queue and its copy in the dead-letter queue (removed by the retry above: gone).
    expect(found.items.map((j) => [j.queue, j.orgId])).toEqual([[QUEUE, orgB]]);
    // Org A's admin does not see org B's job, wherever it is.
    expect((await opsCaller(services, orgAdminSession(orgA)).jobs({ search: 'bulk-3' })).items).toEqual([]);
    expect((await opsCaller(services, orgAdminSession(orgA)).jobs({ search: 'bulk-1' })).items).toHaveLength(
      1,
    );
    expect(await codeOf(operator.jobs({}))).toBe('VALIDATION_ERROR');
  });
});
