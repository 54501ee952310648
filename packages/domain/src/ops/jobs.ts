import type { Database } from '@atrium/db';
import type { Transaction } from 'kysely';
import { type AuditAction, appendAudit } from '../audit/index.ts';
import { NotFoundError, UnprocessableError, ValidationError } from '../errors.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../platform/input-blocks.ts';
import { findDeadLetterQueue, findOpsQueue, opsQueueInfos } from './catalogue-view.ts';
import { JOB_STATE_PHRASE, type JobCursor, type JobSearch, type JobState, type StoredJob } from './port.ts';
import { assertInScope, auditOps, type OpsActor, type OpsDeps, type OpsScope, scopeOrgId } from './scope.ts';

/** A job in a list: enough to recognise it; `ops.job` has the rest. */
export interface OpsJobSummary {
  id: string;
  queue: string;
  state: JobState;
  /** The org the job is attributed to (its payload's `orgId`); null = a platform job. */
  orgId: string | null;
  /** The outbox event type, for jobs that carry an event envelope. */
  eventType: string | null;
  retryCount: number;
  retryLimit: number;
  createdOn: Date;
  startAfter: Date;
  startedOn: Date | null;
  completedOn: Date | null;
  singletonKey: string | null;
  /** The last error's message, for jobs that failed at least once. */
  error: string | null;
  /** The payload as JSON, cut to 200 characters. */
  dataPreview: string;
}

export interface OpsJobDetail extends OpsJobSummary {
  data: unknown;
  /** The handler's result, or the last failure (name, message, code, stack). */
  output: unknown;
  priority: number;
  keepUntil: Date;
  /** Where the job goes once its retries are exhausted. */
  deadLetterQueue: string | null;
  /** For a dead letter: where it came from and how it failed there. */
  deadLetter: {
    sourceQueue: string | null;
    sourceId: string | null;
    sourceCreatedOn: Date | null;
    retryCount: number | null;
    error: string | null;
    output: unknown;
  } | null;
  /** For a failed job: its copies waiting in the dead-letter queue. */
  deadLetterCopies: Array<{ queue: string; id: string; state: JobState }>;
  /** The first job of its dead-letter/redrive chain. */
  rootId: string | null;
}

export interface OpsJobPage {
  items: OpsJobSummary[];
  nextCursor: string | null;
}

export const MAX_JOB_PAGE = 200;

/**
 * Jobs of one queue, newest first by default, optionally in one state, optionally matching a search:
 * a job id (also finds a dead letter by its source job's id), a JSON object the payload contains
 * (`{"type":"OrgCreated"}`), or any other text, matched case-insensitively in the payload.
 */
export async function listJobs(
  deps: OpsDeps,
  input: {
    scope: OpsScope;
    /** One queue, or — with a search — every queue the console shows. */
    queue?: string | undefined;
    state?: JobState;
    search?: string;
    cursor?: string | null;
    limit?: number;
    order?: 'newest' | 'oldest';
  },
): Promise<OpsJobPage> {
  if (input.queue === undefined && !input.search) {
    throw new ValidationError('Name a queue, or search across all of them', {
      search: ['Enter a job id or some text to search every queue'],
    });
  }
  const queues =
    input.queue === undefined
      ? opsQueueInfos(deps.catalogue).map((info) => info.name)
      : [findOpsQueue(deps.catalogue, input.queue).name];
  const limit = Math.min(input.limit ?? 50, MAX_JOB_PAGE);
  const orgId = scopeOrgId(input.scope);
  const search = input.search ? parseJobSearch(input.search) : undefined;
  const after = input.cursor ? decodeJobCursor(input.cursor) : undefined;
  const rows = await deps.queues.list({
    selectors: queues.map((queue) => ({ queue, ...(input.state ? { states: [input.state] } : {}) })),
    ...(orgId ? { orgId } : {}),
    ...(search ? { search } : {}),
    ...(after ? { after } : {}),
    order: input.order ?? 'newest',
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toSummary),
    nextCursor: rows.length > limit && last ? encodeJobCursor(last.cursor) : null,
  };
}

/** One job in full; 404 when it does not exist or belongs to another org. */
export async function getJob(
  deps: OpsDeps,
  input: { scope: OpsScope; queue: string; id: string },
): Promise<OpsJobDetail> {
  const queue = findOpsQueue(deps.catalogue, input.queue);
  const job = await deps.queues.get(queue.name, input.id);
  if (!job) throw new NotFoundError('Job');
  assertInScope(input.scope, job.orgId, 'Job');
  const copies =
    job.state === 'failed' && job.deadLetter
      ? await deps.queues.list({
          selectors: [{ queue: job.deadLetter }],
          search: { kind: 'id', id: job.id },
          order: 'newest',
          limit: 20,
        })
      : [];
  return {
    ...toSummary(job),
    data: job.data,
    output: job.output,
    priority: job.priority,
    keepUntil: job.keepUntil,
    deadLetterQueue: job.deadLetter,
    deadLetter: job.source?.queue
      ? {
          sourceQueue: job.source.queue,
          sourceId: job.source.id,
          sourceCreatedOn: job.source.createdOn,
          retryCount: job.source.retryCount,
          error: errorMessage(job.source.output),
          output: job.source.output,
        }
      : null,
    deadLetterCopies: copies
      .filter((copy) => copy.source?.id === job.id)
      .map((copy) => ({ queue: copy.queue, id: copy.id, state: copy.state })),
    rootId: job.rootId,
  };
}

interface JobActionInput {
  scope: OpsScope;
  actor: OpsActor;
  queue: string;
  id: string;
}

export interface JobActionResult {
  queue: string;
  id: string;
  state: JobState;
}

/**
 * Gives a failed job one more attempt in its own queue. Its copy waiting in the dead-letter queue (a
 * job that exhausted its retries has one) is removed in the same transaction, so the failure is
 * handled once: by this retry, not again by a later redrive.
 */
export async function retryJob(
  deps: OpsDeps,
  input: JobActionInput,
): Promise<JobActionResult & { removedDeadLetters: number }> {
  const queue = findOpsQueue(deps.catalogue, input.queue);
  return deps.db.transaction().execute(async (trx) => {
    const job = await loadInScope(deps, trx, input.scope, queue.name, input.id);
    if (job.state !== 'failed') {
      throw new UnprocessableError(
        `Only failed jobs can be retried; this one ${JOB_STATE_PHRASE[job.state]}`,
        {
          state: job.state,
        },
      );
    }
    if (!(await deps.queues.retry(trx, queue.name, job.id))) {
      throw new UnprocessableError('The job changed state before it could be retried');
    }
    const removedDeadLetters = await removeDeadLetterCopies(deps, trx, job);
    await auditOps(trx, input.actor, {
      action: 'ops.job.retried',
      resourceType: 'job',
      resourceId: job.id,
      payload: { queue: queue.name, removedDeadLetters },
      subjectOrgId: job.orgId,
    });
    return { queue: queue.name, id: job.id, state: 'retry', removedDeadLetters };
  });
}

/** Failed jobs one `retryAllFailed` call retries at most (oldest first); call again for more. */
export const RETRY_ALL_BATCH = 1_000;

/**
 * Retries every failed job of a queue in the caller's scope (an org admin: their org's), oldest first,
 * at most RETRY_ALL_BATCH per call, in one transaction: each gets one more attempt and its copies
 * waiting in the dead-letter queue are removed, as `retryJob` does for one. Audited once in the
 * actor's chain with the count, and once in each org whose jobs were retried.
 */
export async function retryAllFailed(
  deps: OpsDeps,
  input: { scope: OpsScope; actor: OpsActor; queue: string },
): Promise<{ queue: string; retried: number; removedDeadLetters: number; more: boolean }> {
  const queue = findOpsQueue(deps.catalogue, input.queue);
  if (queue.kind === 'dead_letter') {
    throw new UnprocessableError('Dead letters are redriven, not retried: use "Redrive all" on this queue');
  }
  const orgId = scopeOrgId(input.scope);
  return deps.db.transaction().execute(async (trx) => {
    const failed = await deps.queues.list(
      {
        selectors: [{ queue: queue.name, states: ['failed'] }],
        ...(orgId ? { orgId } : {}),
        order: 'oldest',
        limit: RETRY_ALL_BATCH + 1,
      },
      trx,
    );
    const batch = failed.slice(0, RETRY_ALL_BATCH);
    let retried = 0;
    let removedDeadLetters = 0;
    const orgs = new Map<string | null, number>();
    for (const job of batch) {
      if (!(await deps.queues.retry(trx, queue.name, job.id))) continue;
      retried += 1;
      orgs.set(job.orgId, (orgs.get(job.orgId) ?? 0) + 1);
      removedDeadLetters += await removeDeadLetterCopies(deps, trx, job);
    }
    if (retried > 0) {
      const payload = { queue: queue.name, retried, removedDeadLetters };
      await auditOps(trx, input.actor, {
        action: 'ops.queue.failed_retried',
        resourceType: 'queue',
        resourceId: queue.name,
        payload,
      });
      await auditEachOrg(trx, input.actor, orgs, {
        action: 'ops.queue.failed_retried',
        resourceId: queue.name,
        payload: (count) => ({ ...payload, retriedOfThisOrg: count }),
      });
    }
    return { queue: queue.name, retried, removedDeadLetters, more: failed.length > RETRY_ALL_BATCH };
  });
}

/** Cancels a job that has not finished (a running one's handler is not interrupted; its result is ignored). */
export async function cancelJob(deps: OpsDeps, input: JobActionInput): Promise<JobActionResult> {
  const queue = findOpsQueue(deps.catalogue, input.queue);
  return deps.db.transaction().execute(async (trx) => {
    const job = await loadInScope(deps, trx, input.scope, queue.name, input.id);
    if (
      !['created', 'retry', 'active'].includes(job.state) ||
      !(await deps.queues.cancel(trx, queue.name, job.id))
    ) {
      throw new UnprocessableError(
        `Only unfinished jobs can be cancelled; this one ${JOB_STATE_PHRASE[job.state]}`,
        {
          state: job.state,
        },
      );
    }
    await auditOps(trx, input.actor, {
      action: 'ops.job.cancelled',
      resourceType: 'job',
      resourceId: job.id,
      payload: { queue: queue.name, previousState: job.state },
      subjectOrgId: job.orgId,
    });
    return { queue: queue.name, id: job.id, state: 'cancelled' };
  });
}

/**
 * Deletes a job for good (a dead letter nobody should redrive, a poison job). A running job is
 * refused: cancel it first, so no worker is left settling a job that no longer exists.
 */
export async function deleteJob(
  deps: OpsDeps,
  input: JobActionInput,
): Promise<{ queue: string; id: string; deleted: true }> {
  const queue = findOpsQueue(deps.catalogue, input.queue);
  return deps.db.transaction().execute(async (trx) => {
    const job = await loadInScope(deps, trx, input.scope, queue.name, input.id);
    if (job.state === 'active') {
      throw new UnprocessableError('A running job cannot be deleted; cancel it first', { state: job.state });
    }
    if (!(await deps.queues.delete(trx, queue.name, job.id))) throw new NotFoundError('Job');
    await auditOps(trx, input.actor, {
      action: 'ops.job.deleted',
      resourceType: 'job',
      resourceId: job.id,
      payload: { queue: queue.name, state: job.state, eventType: eventTypeOf(job.data) },
      subjectOrgId: job.orgId,
    });
    return { queue: queue.name, id: job.id, deleted: true };
  });
}

export interface RedriveResult {
  deadLetterQueue: string;
  id: string;
  /** The source queue the job went back to. */
  queue: string;
  /** Its id there (a redriven job is a new job). */
  newJobId: string | null;
}

/** Sends one dead letter back to its source queue, where its handler runs it again. */
export async function redriveJob(
  deps: OpsDeps,
  input: { scope: OpsScope; actor: OpsActor; deadLetterQueue: string; id: string },
): Promise<RedriveResult> {
  const deadLetterQueue = findDeadLetterQueue(deps.catalogue, input.deadLetterQueue);
  return deps.db.transaction().execute(async (trx) => {
    const job = await loadInScope(deps, trx, input.scope, deadLetterQueue.name, input.id);
    if (job.state !== 'created' && job.state !== 'retry') {
      throw new UnprocessableError(
        `Only waiting dead letters can be redriven; this one ${JOB_STATE_PHRASE[job.state]}`,
        {
          state: job.state,
        },
      );
    }
    const moved = await deps.queues.redrive(trx, { deadLetterQueue: deadLetterQueue.name, ids: [job.id] });
    if (moved === 0) {
      throw new UnprocessableError(
        'The dead letter could not be redriven: its source queue is gone or holds a job it conflicts with (an ordered queue keeps one job per aggregate)',
      );
    }
    const source = job.source?.queue ?? deadLetterQueue.sources[0] ?? '';
    const root = job.rootId ?? job.source?.id ?? null;
    const [redriven] = root
      ? await deps.queues.list(
          {
            selectors: [{ queue: source, states: ['created'] }],
            search: { kind: 'id', id: root },
            order: 'newest',
            limit: 1,
          },
          trx,
        )
      : [];
    await auditOps(trx, input.actor, {
      action: 'ops.dead_letter.redriven',
      resourceType: 'job',
      resourceId: job.id,
      payload: { deadLetterQueue: deadLetterQueue.name, queue: source, newJobId: redriven?.id ?? null },
      subjectOrgId: job.orgId,
    });
    return {
      deadLetterQueue: deadLetterQueue.name,
      id: job.id,
      queue: source,
      newJobId: redriven?.id ?? null,
    };
  });
}

/**
 * Sends every waiting dead letter of a dead-letter queue back to its source queue. An operator moves
 * all of them; an org admin moves only their org's.
 */
export async function redriveAll(
  deps: OpsDeps,
  input: { scope: OpsScope; actor: OpsActor; deadLetterQueue: string },
): Promise<{ deadLetterQueue: string; moved: number }> {
  const deadLetterQueue = findDeadLetterQueue(deps.catalogue, input.deadLetterQueue);
  const orgId = scopeOrgId(input.scope);
  return deps.db.transaction().execute(async (trx) => {
    const moved = await deps.queues.redrive(trx, {
      deadLetterQueue: deadLetterQueue.name,
      ...(orgId ? { orgId } : {}),
    });
    await auditOps(trx, input.actor, {
      action: 'ops.dead_letter.redriven',
      resourceType: 'queue',
      resourceId: deadLetterQueue.name,
      payload: { all: true, moved, scope: input.scope.kind },
    });
    return { deadLetterQueue: deadLetterQueue.name, moved };
  });
}

/**
 * Deletes the copies of a failed job waiting in its dead-letter queue (the job is being retried, so
 * its failure is handled by that retry, not again by a later redrive). Returns how many went.
 */
export async function removeDeadLetterCopies(
  deps: OpsDeps,
  trx: Transaction<Database>,
  job: StoredJob,
): Promise<number> {
  if (!job.deadLetter) return 0;
  const copies = await deps.queues.list(
    {
      selectors: [{ queue: job.deadLetter, states: ['created', 'retry'] }],
      search: { kind: 'id', id: job.id },
      order: 'oldest',
      limit: 20,
    },
    trx,
  );
  let removed = 0;
  for (const copy of copies.filter((c) => c.source?.id === job.id)) {
    if (await deps.queues.delete(trx, copy.queue, copy.id)) removed += 1;
  }
  return removed;
}

/**
 * A queue-wide action by an operator touched tenants' work: each org whose jobs it touched gets an
 * entry in its own log, with how many of its jobs (`payload(count)`). An org admin's action stays in
 * their org's chain, where `auditOps` already put it.
 */
export async function auditEachOrg(
  trx: Transaction<Database>,
  actor: OpsActor,
  counts: ReadonlyMap<string | null, number>,
  entry: {
    action: AuditAction;
    resourceId: string;
    payload: (count: number) => Record<string, unknown>;
  },
): Promise<void> {
  if (!actor.platform) return;
  for (const [subject, count] of counts) {
    if (!subject) continue;
    const exists = await trx.selectFrom('orgs').select('id').where('id', '=', subject).executeTakeFirst();
    if (!exists) continue;
    await appendAudit(trx, {
      orgId: subject,
      actorId: actor.userId,
      action: entry.action,
      resourceType: 'queue',
      resourceId: entry.resourceId,
      payload: entry.payload(count),
    });
  }
}

export async function loadInScope(
  deps: OpsDeps,
  trx: Transaction<Database>,
  scope: OpsScope,
  queue: string,
  id: string,
): Promise<StoredJob> {
  const job = await deps.queues.get(queue, id, trx);
  if (!job) throw new NotFoundError('Job');
  assertInScope(scope, job.orgId, 'Job');
  return job;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How `ops.jobs` reads its search box: a job id, a JSON object fragment, or text. */
export function parseJobSearch(raw: string): JobSearch {
  const text = raw.trim();
  if (text.length === 0) throw new ValidationError('Search is empty', { search: ['must not be empty'] });
  if (UUID.test(text)) return { kind: 'id', id: text.toLowerCase() };
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return { kind: 'data', data: parsed as Record<string, unknown> };
    }
  }
  return { kind: 'text', text };
}

export function encodeJobCursor(cursor: JobCursor): string {
  return encodeTimeIdCursor(cursor.createdOn, cursor.id);
}

export function decodeJobCursor(raw: string): JobCursor {
  const { at, id } = decodeTimeIdCursor(raw);
  return { createdOn: at, id };
}

function toSummary(job: StoredJob): OpsJobSummary {
  const preview = JSON.stringify(job.data ?? null) ?? 'null';
  return {
    id: job.id,
    queue: job.queue,
    state: job.state,
    orgId: job.orgId,
    eventType: eventTypeOf(job.data),
    retryCount: job.retryCount,
    retryLimit: job.retryLimit,
    createdOn: job.createdOn,
    startAfter: job.startAfter,
    startedOn: job.startedOn,
    completedOn: job.completedOn,
    singletonKey: job.singletonKey,
    error: lastError(job),
    dataPreview: preview.length > 200 ? `${preview.slice(0, 199)}…` : preview,
  };
}

/**
 * The last error a job met: its own (failed, or retrying after a failure), else — for a dead letter —
 * the error its source job failed with, so a dead-letter list says why each one is there.
 */
function lastError(job: StoredJob): string | null {
  if (job.state === 'failed' || job.state === 'retry') return errorMessage(job.output);
  return job.source?.queue ? errorMessage(job.source.output) : null;
}

export function eventTypeOf(data: unknown): string | null {
  if (data && typeof data === 'object' && 'type' in data && typeof data.type === 'string') return data.type;
  return null;
}

function errorMessage(output: unknown): string | null {
  if (output && typeof output === 'object') {
    if ('message' in output && typeof output.message === 'string') return output.message;
    if ('error' in output && typeof output.error === 'string') return output.error;
  }
  return null;
}
