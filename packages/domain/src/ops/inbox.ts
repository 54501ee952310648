import { decodeJobCursor, encodeJobCursor, MAX_JOB_PAGE } from './jobs.ts';
import type { JobSelector, JobState } from './port.ts';
import { type OpsDeps, type OpsScope, scopeOrgId } from './scope.ts';

/**
 * Inbox failures (SPEC §8). A consumer records an event in `inbox` only in the transaction of its
 * effects, so a failure never reaches that table: it lives on the job. An inbox failure is therefore
 * an event delivery to a consumer (an event queue; the consumer name is the queue name) that failed
 * at least once and has not been handled since:
 *
 * - `retrying` — the job is in state `retry`: it failed and pg-boss will run it again after backoff;
 * - `dead_letter` — it exhausted its retries (or failed with an error retrying cannot fix) and its
 *   copy waits in the queue's dead-letter queue for an operator (redrive, or delete).
 *
 * Each item says whether the consumer's inbox holds the event after all (`processedAt`): then the
 * effects committed and only something after them failed, and a redrive is a harmless no-op.
 */
export interface InboxFailure {
  consumer: string;
  kind: 'retrying' | 'dead_letter';
  eventId: string | null;
  eventType: string | null;
  orgId: string | null;
  /** The job to act on: `ops.retry`/`ops.cancel` it in `queue`, or `ops.redrive` it from the dead-letter queue. */
  jobId: string;
  queue: string;
  state: JobState;
  /** Attempts made so far (for a dead letter: before it was dead-lettered). */
  attempts: number;
  lastError: string | null;
  /** When the event's job was first created. */
  firstQueuedAt: Date;
  /** When pg-boss runs a retrying delivery again (its job's start time); null for a dead letter. */
  retryAt: Date | null;
  /** When the consumer recorded the event after all; null = not handled. */
  processedAt: Date | null;
}

export interface InboxConsumerSummary {
  consumer: string;
  events: string[];
  retrying: number;
  deadLettered: number;
}

export interface InboxFailurePage {
  consumers: InboxConsumerSummary[];
  items: InboxFailure[];
  nextCursor: string | null;
}

export async function listInboxFailures(
  deps: OpsDeps,
  input: { scope: OpsScope; consumer?: string; cursor?: string | null; limit?: number },
): Promise<InboxFailurePage> {
  const limit = Math.min(input.limit ?? 50, MAX_JOB_PAGE);
  const orgId = scopeOrgId(input.scope);
  const consumers = Object.values(deps.catalogue).filter(
    (queue) => queue.subscribesTo.length > 0 && (!input.consumer || queue.name === input.consumer),
  );
  if (consumers.length === 0) return { consumers: [], items: [], nextCursor: null };

  const selectors: JobSelector[] = [];
  for (const queue of consumers) {
    selectors.push({ queue: queue.name, states: ['retry'] });
    selectors.push({ queue: queue.deadLetter, states: ['created', 'retry'] });
  }
  const after = input.cursor ? decodeJobCursor(input.cursor) : undefined;
  const consumerNames = new Set(consumers.map((q) => q.name));
  const [rows, stats] = await Promise.all([
    deps.queues.list({
      selectors,
      ...(orgId ? { orgId } : {}),
      ...(after ? { after } : {}),
      order: 'newest',
      limit: limit + 1,
    }),
    deps.queues.stats({
      queues: [...new Set(selectors.map((s) => s.queue))],
      ...(orgId ? { orgId } : {}),
      since: new Date(0),
    }),
  ]);
  const page = rows.slice(0, limit);
  const items: InboxFailure[] = [];
  for (const job of page) {
    const deadLettered = job.source?.queue != null;
    const consumer = deadLettered ? (job.source?.queue ?? '') : job.queue;
    // A dead-letter queue shared with a queue outside this listing.
    if (!consumerNames.has(consumer)) continue;
    const envelope = envelopeOf(job.data);
    items.push({
      consumer,
      kind: deadLettered ? 'dead_letter' : 'retrying',
      eventId: envelope.eventId,
      eventType: envelope.type,
      orgId: job.orgId,
      jobId: job.id,
      queue: job.queue,
      state: job.state,
      // pg-boss counts retries as it claims a job again, so the attempts made are one more.
      attempts: (deadLettered ? (job.source?.retryCount ?? 0) : job.retryCount) + 1,
      lastError: errorOf(deadLettered ? job.source?.output : job.output),
      firstQueuedAt: (deadLettered ? job.source?.createdOn : null) ?? job.createdOn,
      retryAt: deadLettered ? null : job.startAfter,
      processedAt: null,
    });
  }
  const keyed = items.filter((item) => item.eventId !== null);
  if (keyed.length > 0) {
    const processed = await deps.db
      .selectFrom('inbox')
      .select(['consumer', 'event_id', 'processed_at'])
      .where((eb) =>
        eb.or(
          keyed.map((item) =>
            eb.and([eb('consumer', '=', item.consumer), eb('event_id', '=', item.eventId as string)]),
          ),
        ),
      )
      .execute();
    const at = new Map(processed.map((row) => [`${row.consumer}\u0000${row.event_id}`, row.processed_at]));
    for (const item of keyed) item.processedAt = at.get(`${item.consumer}\u0000${item.eventId}`) ?? null;
  }

  const byQueue = new Map(stats.map((row) => [row.queue, row]));
  const last = page.at(-1);
  return {
    consumers: consumers.map((queue) => {
      const own = byQueue.get(queue.name);
      const dead = byQueue.get(queue.deadLetter);
      return {
        consumer: queue.name,
        events: [...queue.subscribesTo],
        retrying: own?.counts.retry ?? 0,
        deadLettered: (dead?.counts.created ?? 0) + (dead?.counts.retry ?? 0),
      };
    }),
    items,
    nextCursor: rows.length > limit && last ? encodeJobCursor(last.cursor) : null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function envelopeOf(data: unknown): { eventId: string | null; type: string | null } {
  if (!data || typeof data !== 'object') return { eventId: null, type: null };
  const eventId =
    'eventId' in data && typeof data.eventId === 'string' && UUID.test(data.eventId) ? data.eventId : null;
  const type = 'type' in data && typeof data.type === 'string' ? data.type : null;
  return { eventId, type };
}

function errorOf(output: unknown): string | null {
  if (output && typeof output === 'object') {
    if ('message' in output && typeof output.message === 'string') return output.message;
    if ('error' in output && typeof output.error === 'string') return output.error;
  }
  return null;
}
