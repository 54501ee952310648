import type { Database } from '@atrium/db';
import { isAppError, type QueueCatalogue, type QueueDefinition, type QueuePayload } from '@atrium/domain';
import { orgOfJobData, recordPlatformEvent } from '@atrium/domain/logging/platform';
import { announceJobFailed } from '@atrium/domain/ops/job-failed';
import { isMailDeliveryError } from '@atrium/domain/platform/mailer';
import { DEFAULT_BOSS_SCHEMA } from '@atrium/jobs';
import type { Histogram, Logger } from '@atrium/observability';
import { type Kysely, sql } from 'kysely';
import type { Job, JobResult } from 'pg-boss';
import type { WorkerServices } from './services.ts';

/** What a handler may use besides its payload. Handlers only call domain functions with these. */
export interface HandlerContext {
  db: Kysely<Database>;
  logger: Logger;
  /** The adapters handlers reach the outside world through (mailer, links, Redis…). */
  services: WorkerServices;
  job: {
    id: string;
    queue: string;
    /** 0 on the first attempt. */
    retryCount: number;
    /** Aborted when the job expires or the worker shuts down past its grace period. */
    signal: AbortSignal;
  };
}

export type QueueHandler<Q extends QueueDefinition> = (
  payload: QueuePayload<Q>,
  context: HandlerContext,
) => Promise<unknown>;

/** One handler per catalogued queue: a catalogue entry without a handler does not type-check. */
export type QueueHandlers<C extends QueueCatalogue> = { readonly [K in keyof C]: QueueHandler<C[K]> };

/**
 * Outcome label of `atrium_job_duration_seconds`: `completed`; `retry` (failed, will run again);
 * `dead_letter` (failed for the last time, or failed with an error that retrying cannot fix);
 * `invalid` (payload did not match the queue's schema — dead-lettered without running).
 */
export type JobOutcome = 'completed' | 'superseded' | 'retry' | 'dead_letter' | 'invalid';

/**
 * Domain errors that describe the request rather than the moment: retrying cannot fix them, so the
 * job goes straight to its dead-letter queue instead of burning its retries.
 */
const PERMANENT_ERROR_CODES = new Set(['VALIDATION_ERROR', 'UNPROCESSABLE']);

function isPermanentFailure(error: unknown): boolean {
  // A mail server's 5xx refusal will refuse the retry too.
  if (isMailDeliveryError(error)) return error.permanent;
  return isAppError(error) && PERMANENT_ERROR_CODES.has(error.code);
}

export interface JobRunnerOptions<Q extends QueueDefinition> {
  queue: Q;
  handler: QueueHandler<Q>;
  db: Kysely<Database>;
  logger: Logger;
  services: WorkerServices;
  duration: Histogram<'queue' | 'outcome'>;
  /** Told the org of every job this runner settled (live Ops updates; null for a platform job). */
  onSettled?: (orgId: string | null) => void;
}

/**
 * Runs one fetched batch of a queue: validates each payload with the queue's schema, runs the handler
 * for each job concurrently, times it, and tells pg-boss each job's fate (`perJobResults`), so one
 * failing job neither fails nor delays the settlement of the others' outcome.
 */
export function createJobRunner<Q extends QueueDefinition>({
  queue,
  handler,
  db,
  logger,
  services,
  duration,
  onSettled,
}: JobRunnerOptions<Q>): (jobs: Job<unknown>[]) => Promise<JobResult[]> {
  async function runOne(job: Job<unknown>): Promise<JobResult> {
    const started = performance.now();
    const log = logger.child({ queue: queue.name, jobId: job.id, retryCount: job.retryCount });
    const finish = (outcome: JobOutcome) =>
      duration.observe({ queue: queue.name, outcome }, (performance.now() - started) / 1000);

    /** A job failed for good: its org hears it live (`job.failed`) as pg-boss is told. */
    const announceFailure = (error: string) =>
      announceJobFailed(
        services.realtime,
        {
          queue: queue.name,
          jobId: job.id,
          data: job.data,
          attempts: job.retryCount + 1,
          deadLetter: queue.deadLetter,
          error,
        },
        log,
      );

    /**
     * A dead letter is the platform's own failure (docs/logging.md): a `platform.dead_letter` event in
     * the job's org (or none), which the built-in rule turns into an incident. Best effort: a failure
     * to record it is logged, and the job's fate is told to pg-boss regardless.
     */
    const recordDeadLetter = (error: string) =>
      recordPlatformEvent(
        { db },
        {
          orgId: orgOfJobData(job.data),
          source: 'platform.dead_letter',
          level: 'error',
          message: `A job of ${queue.name} was dead-lettered after ${job.retryCount + 1} attempt${job.retryCount === 0 ? '' : 's'}: ${error}`,
          attributes: {
            queue: queue.name,
            jobId: job.id,
            attempts: job.retryCount + 1,
            deadLetter: queue.deadLetter,
            error: error.slice(0, 2_000),
          },
        },
      ).catch((recordError: unknown) => log.error({ err: recordError }, 'could not record the dead letter'));

    const parsed = queue.payload.safeParse(job.data);
    if (!parsed.success) {
      finish('invalid');
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      log.error({ issues }, 'job payload does not match the queue schema; dead-lettered without running');
      await announceFailure('invalid payload');
      await recordDeadLetter('invalid payload');
      return { id: job.id, status: 'deadletter', output: { error: 'invalid payload', issues } };
    }
    try {
      // safeParse on a generic schema is typed unknown; it is this queue's payload by construction.
      await handler(parsed.data as QueuePayload<Q>, {
        db,
        logger: log,
        services,
        job: { id: job.id, queue: queue.name, retryCount: job.retryCount, signal: job.signal },
      });
      finish('completed');
      return { id: job.id, status: 'completed' };
    } catch (error) {
      const permanent = isPermanentFailure(error);
      if (!permanent && queue.coalesce && (await supersededByWaitingJob(db, queue.name, job.id))) {
        finish('superseded');
        log.info({ err: error }, 'job failed; a newer job for the same key waits and will do the work');
        return { id: job.id, status: 'completed', output: { superseded: true, ...errorOutput(error) } };
      }
      const lastAttempt = permanent || job.retryCount >= queue.retryLimit;
      finish(lastAttempt ? 'dead_letter' : 'retry');
      if (lastAttempt) {
        log.error({ err: error, deadLetter: queue.deadLetter }, 'job failed for good; dead-lettered');
        await announceFailure(error instanceof Error ? error.message : String(error));
        await recordDeadLetter(error instanceof Error ? error.message : String(error));
      } else log.warn({ err: error }, 'job failed; it will be retried');
      return { id: job.id, status: permanent ? 'deadletter' : 'failed', output: errorOutput(error) };
    }
  }
  const settle = async (job: Job<unknown>): Promise<JobResult> => {
    const result = await runOne(job);
    if (onSettled) {
      const orgId = (job.data as { orgId?: unknown } | null)?.orgId;
      onSettled(typeof orgId === 'string' ? orgId : null);
    }
    return result;
  };
  return (jobs) => Promise.all(jobs.map(settle));
}

/**
 * pg-boss's `stately` policy (coalesced queues) keeps one waiting job per key. A job that fails
 * while a newer one for its key already waits cannot go back to waiting: pg-boss would fail it for
 * good and dead-letter it — a false alarm, since the waiting job reads the current state and does
 * the same work. Such a failure completes the job instead (output `superseded`). A newer job
 * inserted between this check and the settlement still yields that dead letter; redriving it is
 * harmless.
 */
async function supersededByWaitingJob(db: Kysely<Database>, queue: string, jobId: string): Promise<boolean> {
  const jobs = sql.table(`${DEFAULT_BOSS_SCHEMA}.job`);
  const waiting = await sql<{ id: string }>`
    SELECT waiting.id FROM ${jobs} AS waiting
    JOIN ${jobs} AS failed ON failed.name = waiting.name AND failed.singleton_key = waiting.singleton_key
    WHERE failed.name = ${queue} AND failed.id = ${jobId}::uuid AND waiting.name = ${queue}
      AND waiting.id <> failed.id AND waiting.state IN ('created', 'retry')
    LIMIT 1`.execute(db);
  return waiting.rows.length > 0;
}

function errorOutput(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(isAppError(error) ? { code: error.code } : {}),
    stack: error.stack,
  };
}
