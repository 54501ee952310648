import type { Database } from '@atrium/db';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { AuditAction } from '../audit/index.ts';
import { NotFoundError, UnprocessableError } from '../errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { findDeadLetterQueue, findOpsQueue, type OpsQueueInfo } from './catalogue-view.ts';
import { auditEachOrg, eventTypeOf, removeDeadLetterCopies } from './jobs.ts';
import { JOB_STATE_PHRASE, type JobState, type StoredJob } from './port.ts';
import { assertInScope, auditOps, type OpsActor, type OpsDeps, type OpsScope, scopeOrgId } from './scope.ts';

/**
 * Actions on a selection of jobs of one queue (docs/ops.md "Bulk actions"): the console's checkboxes.
 * One transaction per call: every id is read in scope first (one unknown or another org's → 404 and
 * nothing is done), each job the action applies to is acted on and audited like the single action,
 * and the others are reported as skipped with their state — a selection may mix states.
 */

/** Ids one bulk call takes at most: a page of the console is 25 rows; a shared link keeps ≤ 100. */
export const MAX_BULK_IDS = 100;

export const ZBulkJobIds = z
  .array(z.uuid())
  .min(1, 'Select at least one job')
  .max(MAX_BULK_IDS, `Select at most ${MAX_BULK_IDS} jobs at a time`);

export const BULK_ACTIONS = ['retry', 'cancel', 'delete', 'run_now', 'redrive', 'discard'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

interface BulkActionRule {
  /** Only dead letters (redrive, discard) or only jobs of a worked queue; both when absent. */
  queueKind?: OpsQueueInfo['kind'];
  /** Whether the action applies to the job as it is now; else the job is skipped. */
  applies: (job: StoredJob, now: Date) => boolean;
  /** Why a job was skipped, in words. */
  skippedBecause: string;
  /** Does it; false when the job changed under us (then it is skipped too). */
  run: (deps: OpsDeps, trx: Transaction<Database>, job: StoredJob) => Promise<boolean>;
  audit: AuditAction;
}

const waiting = (job: StoredJob) => job.state === 'created' || job.state === 'retry';

/** A job whose start time is still ahead: created with `startAfter`, or backing off before a retry. */
export function isDelayed(job: Pick<StoredJob, 'state' | 'startAfter'>, now: Date): boolean {
  return (job.state === 'created' || job.state === 'retry') && job.startAfter.getTime() > now.getTime();
}

const RULES: Record<BulkAction, BulkActionRule> = {
  retry: {
    applies: (job) => job.state === 'failed',
    skippedBecause: 'only failed jobs can be retried',
    run: async (deps, trx, job) => {
      if (!(await deps.queues.retry(trx, job.queue, job.id))) return false;
      await removeDeadLetterCopies(deps, trx, job);
      return true;
    },
    audit: 'ops.job.retried',
  },
  cancel: {
    applies: (job) => ['created', 'retry', 'active'].includes(job.state),
    skippedBecause: 'only unfinished jobs can be cancelled',
    run: (deps, trx, job) => deps.queues.cancel(trx, job.queue, job.id),
    audit: 'ops.job.cancelled',
  },
  delete: {
    applies: (job) => job.state !== 'active',
    skippedBecause: 'a running job cannot be deleted; cancel it first',
    run: (deps, trx, job) => deps.queues.delete(trx, job.queue, job.id),
    audit: 'ops.job.deleted',
  },
  run_now: {
    applies: isDelayed,
    skippedBecause: 'only delayed jobs (waiting for their start time) can be run now',
    run: (deps, trx, job) => deps.queues.runNow(trx, job.queue, job.id),
    audit: 'ops.job.run_now',
  },
  redrive: {
    queueKind: 'dead_letter',
    applies: waiting,
    skippedBecause: 'only waiting dead letters can be redriven',
    run: async (deps, trx, job) =>
      (await deps.queues.redrive(trx, { deadLetterQueue: job.queue, ids: [job.id] })) > 0,
    audit: 'ops.dead_letter.redriven',
  },
  discard: {
    queueKind: 'dead_letter',
    applies: waiting,
    skippedBecause: 'only waiting dead letters can be discarded',
    run: (deps, trx, job) => deps.queues.delete(trx, job.queue, job.id),
    audit: 'ops.dead_letter.discarded',
  },
};

export interface BulkJobsResult {
  queue: string;
  action: BulkAction;
  /** The jobs acted on. */
  done: string[];
  /** The jobs the action does not apply to as they are now, with their state and why. */
  skipped: Array<{ id: string; state: JobState; reason: string }>;
}

/** Applies one action to a selection of jobs of one queue. */
export async function actOnJobs(
  deps: OpsDeps,
  input: { scope: OpsScope; actor: OpsActor; queue: string; ids: readonly string[]; action: BulkAction },
): Promise<BulkJobsResult> {
  const rule = RULES[input.action];
  const ids = [...new Set(validateInput(ZBulkJobIds, input.ids).map((id) => id.toLowerCase()))];
  const queue =
    rule.queueKind === 'dead_letter'
      ? findDeadLetterQueue(deps.catalogue, input.queue)
      : findOpsQueue(deps.catalogue, input.queue);
  const now = deps.clock?.now() ?? new Date();
  return deps.db.transaction().execute(async (trx) => {
    const jobs = await deps.queues.list(
      { selectors: [{ queue: queue.name }], ids, order: 'oldest', limit: ids.length },
      trx,
    );
    const byId = new Map(jobs.map((job) => [job.id, job]));
    // All or nothing: one id that is not there (or is another org's) and the whole call is a 404.
    for (const id of ids) {
      const job = byId.get(id);
      if (!job) throw new NotFoundError('Job');
      assertInScope(input.scope, job.orgId, 'Job');
    }
    const result: BulkJobsResult = { queue: queue.name, action: input.action, done: [], skipped: [] };
    for (const id of ids) {
      const job = byId.get(id) as StoredJob;
      if (!rule.applies(job, now) || !(await rule.run(deps, trx, job))) {
        result.skipped.push({ id, state: job.state, reason: rule.skippedBecause });
        continue;
      }
      result.done.push(id);
      await auditOps(trx, input.actor, {
        action: rule.audit,
        resourceType: 'job',
        resourceId: job.id,
        payload: {
          queue: queue.name,
          previousState: job.state,
          eventType: eventTypeOf(job.data),
          bulk: true,
        },
        subjectOrgId: job.orgId,
      });
    }
    return result;
  });
}

/** "Run now" for one delayed job; 422 when it is not delayed (any more). */
export async function runJobNow(
  deps: OpsDeps,
  input: { scope: OpsScope; actor: OpsActor; queue: string; id: string },
): Promise<{ queue: string; id: string }> {
  const result = await actOnJobs(deps, { ...input, ids: [input.id], action: 'run_now' });
  const skipped = result.skipped[0];
  if (skipped) {
    throw new UnprocessableError(
      `Only delayed jobs can be run now; this one ${JOB_STATE_PHRASE[skipped.state]}`,
      {
        state: skipped.state,
      },
    );
  }
  return { queue: result.queue, id: input.id };
}

/** Dead letters one `discardAllDeadLetters` call removes at most (oldest first); call again for more. */
export const DISCARD_ALL_BATCH = 1_000;

/**
 * Deletes every dead letter waiting now in a dead-letter queue (an org admin: their org's), oldest
 * first, at most DISCARD_ALL_BATCH per call, in one transaction. For failures nobody will redrive (a
 * removed feature, a fixed bug whose events are obsolete). Audited once in the actor's chain with
 * the count and, for an operator, once in each org whose dead letters went.
 */
export async function discardAllDeadLetters(
  deps: OpsDeps,
  input: { scope: OpsScope; actor: OpsActor; deadLetterQueue: string },
): Promise<{ deadLetterQueue: string; discarded: number; more: boolean }> {
  const queue = findDeadLetterQueue(deps.catalogue, input.deadLetterQueue);
  const orgId = scopeOrgId(input.scope);
  return deps.db.transaction().execute(async (trx) => {
    const letters = await deps.queues.list(
      {
        selectors: [{ queue: queue.name, states: ['created', 'retry'] }],
        ...(orgId ? { orgId } : {}),
        // Only what is there now: dead letters arriving meanwhile wait for a decision of their own.
        createdBefore: new Date(),
        order: 'oldest',
        limit: DISCARD_ALL_BATCH + 1,
      },
      trx,
    );
    const batch = letters.slice(0, DISCARD_ALL_BATCH);
    const discarded = await deps.queues.deleteMany(
      trx,
      queue.name,
      batch.map((job) => job.id),
    );
    if (discarded > 0) {
      const payload = { all: true, discarded, scope: input.scope.kind };
      await auditOps(trx, input.actor, {
        action: 'ops.dead_letter.discarded',
        resourceType: 'queue',
        resourceId: queue.name,
        payload,
      });
      const orgs = new Map<string | null, number>();
      for (const job of batch) orgs.set(job.orgId, (orgs.get(job.orgId) ?? 0) + 1);
      await auditEachOrg(trx, input.actor, orgs, {
        action: 'ops.dead_letter.discarded',
        resourceId: queue.name,
        payload: (count) => ({ ...payload, discardedOfThisOrg: count }),
      });
    }
    return { deadLetterQueue: queue.name, discarded, more: letters.length > DISCARD_ALL_BATCH };
  });
}
