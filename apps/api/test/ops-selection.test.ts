import { randomUUID } from 'node:crypto';
import { PLATFORM_AUDIT_CHAIN } from '@atrium/domain/audit/index';
import { PipelineProbeRequested } from '@atrium/domain/events/pipeline-probe';
import { MAX_BULK_IDS } from '@atrium/domain/ops/index';
import { useTestDatabase } from '@atrium/testkit';
import { createTestJob, createTestOrg, jobsOf, testEnvelope } from '@atrium/testkit/factories';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/services.ts';
import { testApiEnv } from './helpers.ts';
import { auditActions, codeOf, operatorSession, opsCaller, orgAdminSession } from './ops-helpers.ts';

const QUEUE = 'ops.pipeline-probe';
const DEAD_LETTERS = 'ops.pipeline-probe.dead-letter';

/**
 * Actions on a selection (ops.bulk), "run now" for delayed jobs and "discard all" dead letters, against
 * real pg-boss: scope (another org's job → 404, nothing done), permission (403), bounded input (400)
 * and the audit entries each action leaves.
 */
describe('ops: actions on a selection', () => {
  const t = useTestDatabase();
  let services: Services;
  let orgA: string;
  let orgB: string;
  let n = 0;
  let platformBefore = 0;

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
  });
  afterAll(() => services.close());
  beforeEach(async () => {
    // Each test starts from empty queues and orgs of its own; the platform chain (append-only) is
    // read from where it stood.
    const boss = await services.ops.boss();
    await boss.deleteAllJobs(QUEUE);
    await boss.deleteAllJobs(DEAD_LETTERS);
    orgA = (await createTestOrg(t.db, { name: `Select A ${n}` })).id;
    orgB = (await createTestOrg(t.db, { name: `Select B ${n}` })).id;
    platformBefore = (await platformActions()).length;
  });
  const platformActions = async () => (await auditActions(t.db, PLATFORM_AUDIT_CHAIN)).slice(platformBefore);

  function envelope(orgId: string) {
    n += 1;
    return testEnvelope(
      PipelineProbeRequested,
      { probeId: `select-${n}`, requestedAt: new Date().toISOString() },
      { aggregateType: 'pipeline_probe', aggregateId: `select-${n}`, orgId },
    );
  }
  const failedJob = async (orgId: string) =>
    createTestJob(await services.ops.boss(), QUEUE, envelope(orgId), { failWith: `probe ${n} refused` });
  const delayedJob = async (orgId: string) =>
    createTestJob(await services.ops.boss(), QUEUE, envelope(orgId), { startAfter: 3_600 });
  const jobState = async (queue: string, id: string) => (await jobsOf(t.db, queue)).find((j) => j.id === id);
  const waitingLetters = async () => (await jobsOf(t.db, DEAD_LETTERS)).filter((j) => j.state === 'created');

  it('retries a selection of failed jobs, skips the rest, audits each job in both chains', async () => {
    const a1 = await failedJob(orgA);
    const a2 = await failedJob(orgA);
    const waiting = await createTestJob(await services.ops.boss(), QUEUE, envelope(orgA));
    const admin = opsCaller(services, orgAdminSession(orgA));

    const result = await admin.bulk({ queue: QUEUE, action: 'retry', ids: [a1, a2, waiting] });
    expect(result.done.sort()).toEqual([a1, a2].sort());
    expect(result.skipped).toEqual([
      { id: waiting, state: 'created', reason: 'only failed jobs can be retried' },
    ]);
    expect((await jobState(QUEUE, a1))?.state).toBe('retry');
    expect((await jobState(QUEUE, a2))?.state).toBe('retry');
    // Their dead-letter copies went with the retry: the failure is handled once.
    expect(await waitingLetters()).toEqual([]);
    expect(await auditActions(t.db, orgA)).toEqual(['ops.job.retried', 'ops.job.retried']);

    // An operator cancelling org A's job: the platform chain and org A's both record it.
    const operator = opsCaller(services, operatorSession(orgB));
    expect((await operator.bulk({ queue: QUEUE, action: 'cancel', ids: [waiting] })).done).toEqual([waiting]);
    expect((await jobState(QUEUE, waiting))?.state).toBe('cancelled');
    expect(await platformActions()).toEqual(['ops.job.cancelled']);
    expect(await auditActions(t.db, orgA)).toContain('ops.job.cancelled');

    expect((await operator.bulk({ queue: QUEUE, action: 'delete', ids: [a1, waiting] })).done).toHaveLength(
      2,
    );
    expect(await jobState(QUEUE, a1)).toBeUndefined();
    expect(await platformActions()).toEqual(['ops.job.cancelled', 'ops.job.deleted', 'ops.job.deleted']);
  });

  it("another org's job in a selection → 404 and nothing is done; no ops.manage → 403", async () => {
    const mine = await failedJob(orgA);
    const theirs = await failedJob(orgB);
    const admin = opsCaller(services, orgAdminSession(orgA));
    expect(await codeOf(admin.bulk({ queue: QUEUE, action: 'retry', ids: [mine, theirs] }))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(admin.bulk({ queue: QUEUE, action: 'retry', ids: [randomUUID()] }))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(admin.runNow({ queue: QUEUE, id: theirs }))).toBe('NOT_FOUND');
    expect((await jobState(QUEUE, mine))?.state).toBe('failed');
    expect((await jobState(QUEUE, theirs))?.state).toBe('failed');
    expect(await auditActions(t.db, orgA)).toEqual([]);

    const reader = opsCaller(services, orgAdminSession(orgA, ['ops.read']));
    expect(await codeOf(reader.bulk({ queue: QUEUE, action: 'retry', ids: [mine] }))).toBe('FORBIDDEN');
    expect(await codeOf(reader.runNow({ queue: QUEUE, id: mine }))).toBe('FORBIDDEN');
    expect(await codeOf(reader.discardAllDeadLetters({ deadLetterQueue: DEAD_LETTERS }))).toBe('FORBIDDEN');
    expect((await jobState(QUEUE, mine))?.state).toBe('failed');
  });

  it('a selection is bounded: more than the maximum ids, or none, is a 400', async () => {
    const operator = opsCaller(services, operatorSession(orgA));
    const tooMany = Array.from({ length: MAX_BULK_IDS + 1 }, () => randomUUID());
    for (const ids of [tooMany, [], ['not-a-uuid']]) {
      const error = await operator.bulk({ queue: QUEUE, action: 'retry', ids }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect(getHTTPStatusCodeFromError(error as TRPCError)).toBe(400);
    }
    // Dead-letter actions name a dead-letter queue.
    expect(await codeOf(operator.bulk({ queue: QUEUE, action: 'discard', ids: [randomUUID()] }))).toBe(
      'VALIDATION_ERROR',
    );
    expect(
      await codeOf(operator.bulk({ queue: 'no.such.queue', action: 'retry', ids: [randomUUID()] })),
    ).toBe('NOT_FOUND');
  });

  it('runs a delayed job now (single and selection); a job not delayed is refused or skipped', async () => {
    const d1 = await delayedJob(orgA);
    const d2 = await delayedJob(orgA);
    const d3 = await delayedJob(orgA);
    const failed = await failedJob(orgA);
    const admin = opsCaller(services, orgAdminSession(orgA));
    const before = Date.now();

    expect(await admin.runNow({ queue: QUEUE, id: d1 })).toEqual({ queue: QUEUE, id: d1 });
    const moved = await jobState(QUEUE, d1);
    expect(moved?.state).toBe('created');
    expect(moved?.start_after.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(moved?.start_after.getTime()).toBeGreaterThan(before - 60_000);
    // Once runnable it is no longer delayed.
    expect(await codeOf(admin.runNow({ queue: QUEUE, id: d1 }))).toBe('UNPROCESSABLE');
    expect(await codeOf(admin.runNow({ queue: QUEUE, id: failed }))).toBe('UNPROCESSABLE');
    // The refusal names the state in words, not pg-boss's.
    await expect(admin.runNow({ queue: QUEUE, id: failed })).rejects.toThrow(
      'Only delayed jobs can be run now; this one has failed for good',
    );

    const result = await admin.bulk({ queue: QUEUE, action: 'run_now', ids: [d2, d3, failed] });
    expect(result.done.sort()).toEqual([d2, d3].sort());
    expect(result.skipped.map((s) => [s.id, s.state])).toEqual([[failed, 'failed']]);
    for (const id of [d2, d3]) {
      expect((await jobState(QUEUE, id))?.start_after.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    }
    expect(await auditActions(t.db, orgA)).toEqual(['ops.job.run_now', 'ops.job.run_now', 'ops.job.run_now']);
  });

  it('redrives and discards selected dead letters', async () => {
    await failedJob(orgA);
    await failedJob(orgA);
    await failedJob(orgA);
    const letters = (await waitingLetters()).map((j) => j.id);
    expect(letters).toHaveLength(3);
    const [l1, l2, l3] = letters as [string, string, string];
    const admin = opsCaller(services, orgAdminSession(orgA));

    expect((await admin.bulk({ queue: DEAD_LETTERS, action: 'discard', ids: [l1, l2] })).done).toHaveLength(
      2,
    );
    expect((await admin.bulk({ queue: DEAD_LETTERS, action: 'redrive', ids: [l3] })).done).toEqual([l3]);
    expect(await waitingLetters()).toEqual([]);
    // The redriven letter is a new job in its source queue.
    expect((await jobsOf(t.db, QUEUE)).filter((j) => j.state === 'created')).toHaveLength(1);
    expect(await auditActions(t.db, orgA)).toEqual([
      'ops.dead_letter.discarded',
      'ops.dead_letter.discarded',
      'ops.dead_letter.redriven',
    ]);
    // The dead letters' jobs list carries the error each one failed with.
    await failedJob(orgA);
    const listed = await admin.jobs({ queue: DEAD_LETTERS, state: 'created' });
    expect(listed.items[0]?.error).toBe(`probe ${n} refused`);
  });

  it("discards all dead letters: an org admin their org's only, an operator the rest, each org told", async () => {
    await failedJob(orgA);
    await failedJob(orgA);
    await failedJob(orgB);
    const admin = opsCaller(services, orgAdminSession(orgA));
    expect(await admin.discardAllDeadLetters({ deadLetterQueue: DEAD_LETTERS })).toEqual({
      deadLetterQueue: DEAD_LETTERS,
      discarded: 2,
      more: false,
    });
    expect((await waitingLetters()).map((j) => j.data.orgId)).toEqual([orgB]);
    expect(await auditActions(t.db, orgA)).toEqual(['ops.dead_letter.discarded']);
    expect(await auditActions(t.db, orgB)).toEqual([]);

    const operator = opsCaller(services, operatorSession(orgA));
    expect(await operator.discardAllDeadLetters({ deadLetterQueue: DEAD_LETTERS })).toMatchObject({
      discarded: 1,
    });
    expect(await waitingLetters()).toEqual([]);
    expect(await platformActions()).toEqual(['ops.dead_letter.discarded']);
    expect(await auditActions(t.db, orgB)).toEqual(['ops.dead_letter.discarded']);
    // Nothing left: nothing discarded, nothing audited. A worked queue has no dead letters to discard.
    expect(await operator.discardAllDeadLetters({ deadLetterQueue: DEAD_LETTERS })).toMatchObject({
      discarded: 0,
    });
    expect(await platformActions()).toHaveLength(1);
    expect(await codeOf(operator.discardAllDeadLetters({ deadLetterQueue: QUEUE }))).toBe('VALIDATION_ERROR');
  });
});
