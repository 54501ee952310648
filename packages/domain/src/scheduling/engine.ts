import type { Database, Schedule, ScheduleRunTrigger, SchedulesTable } from '@atrium/db';
import { type Kysely, sql, type Transaction, type Updateable } from 'kysely';
import { writeOutboxEvent } from '../events/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { SCHEDULE_AGGREGATE, ScheduleQuarantined } from './events.ts';
import type { ScheduleHandlerContext, ScheduleHandlerRegistry } from './handlers.ts';
import { acquireLease, holdsLease, type Lease, releaseLease } from './lease.ts';
import { planNextWork } from './plan.ts';
import { retryDelayMs } from './timing.ts';

/**
 * The scheduler's engine (SPEC §8), as three steps every replica runs for each due schedule:
 *
 *  1. `claimDueOccurrence` — one transaction: take the schedule's lease (`schedule:<id>`, new fencing
 *     token), lock the schedule row, record attempts abandoned by a crashed owner, decide the work
 *     (plan.ts), insert the `running` run row and move `next_run_at` on. Commit = this replica, and
 *     only this one, owns the occurrence attempt.
 *  2. `runClaimedOccurrence` — the handler, with an AbortSignal and the `max_runtime_seconds` limit
 *     (the caller renews the lease meanwhile).
 *  3. `recordRunOutcome` — one transaction fenced by the lease token: the run's status, then retry,
 *     failure counting and quarantine, then the lease is released.
 */
export interface SchedulerEngineDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** This replica, as written to leases and run rows. */
  nodeId: string;
  logger: LogSink;
  /** How long a claimed run's lease lasts without renewal (the holder renews every third of it). */
  leaseTtlMs: number;
  /** How late a slot may start before the misfire policy decides instead (Quartz-style threshold). */
  misfireGraceMs: number;
  /** Source of retry jitter; tests pin it. */
  random?: () => number;
}

export const DEFAULT_LEASE_TTL_MS = 30_000;
export const DEFAULT_MISFIRE_GRACE_MS = 60_000;

export function scheduleLeaseName(scheduleId: string): string {
  return `schedule:${scheduleId}`;
}

export interface ClaimedRun {
  runId: string;
  scheduleId: string;
  scheduleName: string;
  handler: string;
  payload: Record<string, unknown>;
  scheduledFor: Date;
  attempt: number;
  trigger: ScheduleRunTrigger;
  maxRuntimeSeconds: number;
  startedAt: Date;
  lease: Lease;
}

export interface ClaimResult {
  run: ClaimedRun | null;
  /** Attempts found `running` under a lapsed lease, now recorded as failed. */
  abandoned: number;
  /** `skipped` rows written for missed slots (misfire policy). */
  skipped: number;
  /** Set when recording an abandoned attempt quarantined the schedule. */
  quarantined?: QuarantineNotice;
  /** The schedule's name, when the claim got as far as reading it (for logs and metrics). */
  scheduleName?: string;
}

export interface QuarantineNotice {
  scheduleId: string;
  name: string;
  handler: string;
  consecutiveFailures: number;
  lastError: string | null;
}

const NO_CLAIM: ClaimResult = { run: null, abandoned: 0, skipped: 0 };

/** Thrown inside a claim transaction to roll it back (the lease's token must not move for nothing). */
class NothingToClaim extends Error {}

/**
 * Ids of schedules with work due at `now` (see plan.ts for what counts), plus schedules with a run
 * still `running` under a lease that lapsed or changed hands (its owner crashed). Cheap, unlocked: the
 * claim re-checks everything under locks.
 */
export async function findDueSchedules(
  db: Kysely<Database>,
  input: { now: Date; limit: number; excludeIds?: readonly string[] },
): Promise<string[]> {
  const { now, limit } = input;
  const exclude = input.excludeIds && input.excludeIds.length > 0 ? input.excludeIds : null;
  const { rows } = await sql<{ id: string }>`
    SELECT id FROM (
      SELECT id, COALESCE(retry_at, LEAST(manual_run_at, CASE WHEN status = 'active' THEN next_run_at END)) AS due_at
        FROM schedules
       WHERE status <> 'quarantined'
         AND (retry_at <= ${now}
              OR (retry_at IS NULL AND (manual_run_at <= ${now} OR (status = 'active' AND next_run_at <= ${now}))))
      UNION
      SELECT r.schedule_id AS id, r.started_at AS due_at
        FROM schedule_runs r
        JOIN scheduler_leases l ON l.name = 'schedule:' || r.schedule_id::text
       WHERE r.status = 'running'
         AND (l.owner IS NULL OR l.expires_at <= ${now} OR l.fencing_token <> r.fencing_token)
    ) due
    ${exclude ? sql`WHERE id <> ALL(${exclude}::uuid[])` : sql``}
    ORDER BY due_at
    LIMIT ${limit}`.execute(db);
  return [...new Set(rows.map((row) => row.id))];
}

/**
 * Claims the schedule's next due occurrence attempt for this replica, or returns `run: null` when the
 * lease is held elsewhere or nothing is due any more (another replica was first). Exactly one replica
 * gets each attempt: the schedule row is locked and advanced in the transaction that inserts the run
 * row, and the unique (schedule_id, scheduled_for, attempt) refuses a second row whatever happens.
 */
export async function claimDueOccurrence(
  deps: SchedulerEngineDeps,
  scheduleId: string,
): Promise<ClaimResult> {
  const now = deps.clock.now();
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const lease = await acquireLease(trx, {
        name: scheduleLeaseName(scheduleId),
        owner: deps.nodeId,
        ttlMs: deps.leaseTtlMs,
        now,
      });
      if (!lease) throw new NothingToClaim();
      let schedule = await lockSchedule(trx, scheduleId);
      if (!schedule) throw new NothingToClaim();

      const { abandoned, quarantined } = await recordAbandonedAttempts(trx, deps, schedule, lease, now);
      if (abandoned > 0) schedule = (await lockSchedule(trx, scheduleId)) ?? schedule;

      const plan = planNextWork(schedule, now, deps.misfireGraceMs);
      if (plan.type === 'none') {
        if (abandoned === 0) throw new NothingToClaim();
        await releaseLease(trx, lease, { now });
        return {
          run: null,
          abandoned,
          skipped: 0,
          scheduleName: schedule.name,
          ...(quarantined ? { quarantined } : {}),
        };
      }

      let skipped = 0;
      if (plan.skipped) {
        const row = await trx
          .insertInto('schedule_runs')
          .values({
            schedule_id: schedule.id,
            scheduled_for: plan.skipped.scheduledFor,
            attempt: 1,
            trigger: 'misfire',
            node_id: deps.nodeId,
            fencing_token: lease.token.toString(),
            started_at: now,
            finished_at: now,
            status: 'skipped',
            error: plan.skipped.message,
          })
          .onConflict((oc) => oc.constraint('schedule_runs_occurrence_attempt_key').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (row) skipped = 1;
      }

      if (plan.type === 'skip') {
        await updateSchedule(trx, schedule.id, plan.updates, now);
        await releaseLease(trx, lease, { now });
        return { run: null, abandoned, skipped, scheduleName: schedule.name };
      }

      const trigger =
        plan.trigger ?? (await triggerOfAttempt(trx, schedule.id, plan.scheduledFor, plan.attempt - 1));
      const inserted = await trx
        .insertInto('schedule_runs')
        .values({
          schedule_id: schedule.id,
          scheduled_for: plan.scheduledFor,
          attempt: plan.attempt,
          trigger,
          node_id: deps.nodeId,
          fencing_token: lease.token.toString(),
          started_at: now,
          status: 'running',
        })
        .onConflict((oc) => oc.constraint('schedule_runs_occurrence_attempt_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) {
        // The database already holds this occurrence attempt: never run it twice. Move on past it.
        deps.logger.warn(
          { scheduleId, scheduledFor: plan.scheduledFor.toISOString(), attempt: plan.attempt },
          'scheduler: occurrence attempt already recorded; not running it again',
        );
        await updateSchedule(trx, schedule.id, plan.updates, now);
        await releaseLease(trx, lease, { now });
        return { run: null, abandoned, skipped, scheduleName: schedule.name };
      }
      await updateSchedule(trx, schedule.id, { ...plan.updates, last_run_at: now }, now);
      return {
        run: {
          runId: inserted.id,
          scheduleId: schedule.id,
          scheduleName: schedule.name,
          handler: schedule.handler,
          payload: schedule.payload,
          scheduledFor: plan.scheduledFor,
          attempt: plan.attempt,
          trigger,
          maxRuntimeSeconds: schedule.max_runtime_seconds,
          startedAt: now,
          lease,
        },
        abandoned,
        skipped,
        scheduleName: schedule.name,
        ...(quarantined ? { quarantined } : {}),
      };
    });
  } catch (error) {
    if (error instanceof NothingToClaim) return NO_CLAIM;
    throw error;
  }
}

export type RunAbortReason = 'timeout' | 'shutdown' | 'lease_lost';

/** The reason an in-flight run's signal carries. */
export class RunAbortedError extends Error {
  readonly reason: RunAbortReason;
  constructor(reason: RunAbortReason, message: string) {
    super(message);
    this.name = 'RunAbortedError';
    this.reason = reason;
  }
}

export type RunOutcome =
  | { status: 'succeeded'; result?: Record<string, unknown> | undefined; durationMs: number }
  | {
      status: 'failed' | 'timed_out';
      error: string;
      durationMs: number;
      /** Retry without backoff (the attempt was cut short by shutdown, not failed by the handler). */
      retryImmediately?: boolean;
    };

/** After an abort, how long a handler gets to unwind before its outcome is recorded anyway. */
export const ABORT_SETTLE_MS = 1_000;
const MAX_ERROR_LENGTH = 2_000;

/**
 * The database a run's handler works on (its `ctx.db`), which the engine cuts off when the run is
 * aborted: the run's statements stop with it instead of holding locks and connections after it was
 * recorded. The scheduler opens one per run on a pool of its own (`createInterruptibleDb`), so
 * handlers never wait for — or take — the connections of claims, heartbeats and outcome writes.
 */
export interface RunDatabase {
  db: Kysely<Database>;
  /** Connections the handler holds right now. */
  held(): number;
  /** Cancels the statements in flight and refuses new ones (the moment the run is aborted). */
  interrupt(): Promise<void>;
  /** Ends the sessions the handler still holds (it had its settle time and did not let go). */
  terminate(): Promise<void>;
}

/**
 * Runs the claimed occurrence's handler. Never throws: every ending becomes an outcome. The run's
 * signal aborts at `max_runtime_seconds` (→ `timed_out`) or when `options.signal` aborts with a
 * RunAbortedError (shutdown → `failed`, reason shutdown; lease lost → `failed`).
 *
 * An abort also interrupts the run's database at once (statements in flight are cancelled, new ones
 * refused), so a handler blocked in SQL unwinds within milliseconds. A handler gets ABORT_SETTLE_MS to
 * unwind; whatever connections it still holds then are terminated, and the outcome is recorded
 * without it (logged). As a last resort that needs no help from this process, every statement of the
 * run carries a server-side `statement_timeout` ending ABORT_SETTLE_MS after the runtime limit.
 */
export async function runClaimedOccurrence(
  deps: {
    /** Opens the handler's database for this run (the statement deadline is epoch milliseconds). */
    openRunDatabase: (limits: { statementDeadline: number }) => RunDatabase;
    clock: Clock;
    logger: LogSink;
    handlers: ScheduleHandlerRegistry;
    realtime: RealtimePublisher;
  },
  run: ClaimedRun,
  options: { signal?: AbortSignal } = {},
): Promise<RunOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const definition = deps.handlers.get(run.handler);
  if (!definition) {
    return {
      status: 'failed',
      error: `no handler named "${run.handler}" is registered on this scheduler`,
      durationMs: 0,
    };
  }
  let payload = run.payload;
  if (definition.payload) {
    const parsed = definition.payload.safeParse(payload);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`)
        .join('; ');
      return { status: 'failed', error: `invalid payload: ${issues}`, durationMs: 0 };
    }
    payload = parsed.data;
  }

  const database = deps.openRunDatabase({
    statementDeadline: Date.now() + run.maxRuntimeSeconds * 1000 + ABORT_SETTLE_MS,
  });
  const controller = new AbortController();
  let interruption: Promise<void> = Promise.resolve();
  controller.signal.addEventListener(
    'abort',
    () => {
      interruption = database.interrupt().catch((error: unknown) => {
        deps.logger.warn(
          { schedule: run.scheduleName, runId: run.runId, err: error },
          'scheduler: could not cancel the statements of an aborted run; their statement_timeout will',
        );
      });
    },
    { once: true },
  );
  const timer = setTimeout(
    () =>
      controller.abort(
        new RunAbortedError('timeout', `exceeded max runtime of ${run.maxRuntimeSeconds}s; aborted`),
      ),
    run.maxRuntimeSeconds * 1000,
  );
  const forward = () => {
    const reason = options.signal?.reason;
    controller.abort(
      reason instanceof RunAbortedError ? reason : new RunAbortedError('shutdown', 'shutdown'),
    );
  };
  if (options.signal?.aborted) forward();
  else options.signal?.addEventListener('abort', forward, { once: true });
  const aborted = new Promise<RunAbortedError>((resolve) => {
    const settle = () => resolve(controller.signal.reason as RunAbortedError);
    if (controller.signal.aborted) settle();
    else controller.signal.addEventListener('abort', settle, { once: true });
  });

  const context: ScheduleHandlerContext = {
    scheduleId: run.scheduleId,
    scheduleName: run.scheduleName,
    payload,
    signal: controller.signal,
    scheduledFor: run.scheduledFor,
    attempt: run.attempt,
    logger: withFields(deps.logger, {
      schedule: run.scheduleName,
      scheduledFor: run.scheduledFor.toISOString(),
      attempt: run.attempt,
    }),
    db: database.db,
    clock: deps.clock,
    realtime: deps.realtime,
  };
  type Settled = { kind: 'done'; value: unknown } | { kind: 'error'; error: unknown };
  const handler: Promise<Settled> = (async () => definition.run(context))().then(
    (value) => ({ kind: 'done', value }),
    (error: unknown) => ({ kind: 'error', error }),
  );

  try {
    const first = await Promise.race([
      handler,
      aborted.then((reason) => ({ kind: 'aborted' as const, reason })),
    ]);
    if (first.kind === 'done' && !controller.signal.aborted) {
      return { status: 'succeeded', result: storableResult(first.value), durationMs: elapsed() };
    }
    if (first.kind === 'error' && !controller.signal.aborted) {
      return { status: 'failed', error: errorText(first.error), durationMs: elapsed() };
    }
    const reason = controller.signal.reason as RunAbortedError;
    const unwound = await Promise.race([handler, delay(ABORT_SETTLE_MS).then(() => null)]);
    await interruption;
    if (unwound === null || database.held() > 0) {
      deps.logger.warn(
        { schedule: run.scheduleName, runId: run.runId, reason: reason.reason, connections: database.held() },
        'scheduler: handler ignored its abort signal; ending its sessions and recording the outcome without it',
      );
      await database.terminate().catch((error: unknown) => {
        deps.logger.error(
          { schedule: run.scheduleName, runId: run.runId, err: error },
          'scheduler: could not end the sessions of an aborted run',
        );
      });
    }
    const durationMs = elapsed();
    if (reason.reason === 'timeout') return { status: 'timed_out', error: reason.message, durationMs };
    if (reason.reason === 'shutdown') {
      return { status: 'failed', error: 'shutdown', durationMs, retryImmediately: true };
    }
    return { status: 'failed', error: `lease lost: ${reason.message}`, durationMs };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', forward);
  }
}

export type RecordResult =
  | { recorded: false; reason: 'fenced' | 'not_running' }
  | { recorded: true; retryAt: Date | null; quarantined: QuarantineNotice | null };

/**
 * Records the outcome of a claimed attempt — only if this replica still holds the lease under the
 * token it claimed with (and the run is still `running` under that token). A stale owner (its lease
 * lapsed and another replica took over) gets `recorded: false` and changes nothing.
 *
 * Then, in the same transaction: success resets `consecutive_failures`; a failure schedules the next
 * attempt after `backoff_seconds · 2^(attempt-1)` ±20 %, or — after the last attempt — counts a
 * failed occurrence and quarantines the schedule at `max_consecutive_failures` (outbox
 * `ScheduleQuarantined`). The lease is released last.
 */
export async function recordRunOutcome(
  deps: SchedulerEngineDeps,
  run: ClaimedRun,
  outcome: RunOutcome,
): Promise<RecordResult> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx): Promise<RecordResult> => {
    if (!(await holdsLease(trx, run.lease))) return { recorded: false, reason: 'fenced' };
    const updated = await trx
      .updateTable('schedule_runs')
      .set({
        status: outcome.status,
        finished_at: now,
        error: outcome.status === 'succeeded' ? null : outcome.error,
        result:
          outcome.status === 'succeeded' && outcome.result !== undefined
            ? JSON.stringify(outcome.result)
            : null,
      })
      .where('id', '=', run.runId)
      .where('status', '=', 'running')
      .where('fencing_token', '=', run.lease.token.toString())
      .returning('id')
      .executeTakeFirst();
    if (!updated) return { recorded: false, reason: 'not_running' };

    const schedule = await lockSchedule(trx, run.scheduleId);
    let result: RecordResult = { recorded: true, retryAt: null, quarantined: null };
    if (schedule) {
      if (outcome.status === 'succeeded') {
        await updateSchedule(trx, schedule.id, { consecutive_failures: 0, ...completion(schedule) }, now);
      } else {
        const failure = await applyAttemptFailure(trx, deps, schedule, {
          scheduledFor: run.scheduledFor,
          attempt: run.attempt,
          error: outcome.error,
          retryImmediately: outcome.retryImmediately === true,
          now,
        });
        result = { recorded: true, ...failure };
      }
    }
    await releaseLease(trx, run.lease, { now });
    return result;
  });
}

/** A `once` schedule whose only occurrence is over becomes `completed`. */
function completion(schedule: Schedule): Updateable<SchedulesTable> {
  return schedule.kind === 'once' && schedule.status === 'active' && schedule.next_run_at === null
    ? { status: 'completed' }
    : {};
}

async function applyAttemptFailure(
  trx: Transaction<Database>,
  deps: SchedulerEngineDeps,
  schedule: Schedule,
  failed: { scheduledFor: Date; attempt: number; error: string; retryImmediately: boolean; now: Date },
): Promise<{ retryAt: Date | null; quarantined: QuarantineNotice | null }> {
  const { now } = failed;
  if (failed.attempt < schedule.max_attempts) {
    const wait = failed.retryImmediately
      ? 0
      : retryDelayMs(schedule.backoff_seconds, failed.attempt, deps.random ?? Math.random);
    const retryAt = new Date(now.getTime() + wait);
    await updateSchedule(
      trx,
      schedule.id,
      { retry_at: retryAt, retry_scheduled_for: failed.scheduledFor, retry_attempt: failed.attempt + 1 },
      now,
    );
    return { retryAt, quarantined: null };
  }

  const failures = schedule.consecutive_failures + 1;
  if (failures < schedule.max_consecutive_failures) {
    await updateSchedule(trx, schedule.id, { consecutive_failures: failures, ...completion(schedule) }, now);
    return { retryAt: null, quarantined: null };
  }

  await updateSchedule(
    trx,
    schedule.id,
    {
      status: 'quarantined',
      quarantined_at: now,
      consecutive_failures: failures,
      retry_at: null,
      retry_scheduled_for: null,
      retry_attempt: null,
      manual_run_at: null,
      catch_up_remaining: 0,
      catch_up_resume_at: null,
    },
    now,
  );
  const notice: QuarantineNotice = {
    scheduleId: schedule.id,
    name: schedule.name,
    handler: schedule.handler,
    consecutiveFailures: failures,
    lastError: failed.error,
  };
  await writeOutboxEvent(trx, {
    orgId: null,
    type: ScheduleQuarantined,
    aggregateType: SCHEDULE_AGGREGATE,
    aggregateId: schedule.id,
    payload: { ...notice, quarantinedAt: now.toISOString() },
  });
  return { retryAt: null, quarantined: notice };
}

/**
 * Running attempts of this schedule under an older token than `lease`'s: their owner lost the lease
 * (crashed or stalled past its expiry), so they are recorded as failed and retried at once.
 */
async function recordAbandonedAttempts(
  trx: Transaction<Database>,
  deps: SchedulerEngineDeps,
  schedule: Schedule,
  lease: Lease,
  now: Date,
): Promise<{ abandoned: number; quarantined: QuarantineNotice | null }> {
  const orphans = await trx
    .selectFrom('schedule_runs')
    .select(['id', 'scheduled_for', 'attempt', 'node_id', 'fencing_token'])
    .where('schedule_id', '=', schedule.id)
    .where('status', '=', 'running')
    .where('fencing_token', '<', lease.token.toString())
    .orderBy('id')
    .execute();
  let quarantined: QuarantineNotice | null = null;
  let current = schedule;
  for (const orphan of orphans) {
    const error = `abandoned: the lease of ${orphan.node_id} (token ${orphan.fencing_token}) lapsed before it recorded an outcome`;
    await trx
      .updateTable('schedule_runs')
      .set({ status: 'failed', finished_at: now, error })
      .where('id', '=', orphan.id)
      .where('status', '=', 'running')
      .execute();
    deps.logger.warn(
      { scheduleId: schedule.id, runId: orphan.id, staleNode: orphan.node_id, token: lease.token.toString() },
      'scheduler: took over an abandoned run',
    );
    const failure = await applyAttemptFailure(trx, deps, current, {
      scheduledFor: orphan.scheduled_for,
      attempt: orphan.attempt,
      error,
      retryImmediately: true,
      now,
    });
    quarantined = failure.quarantined ?? quarantined;
    current = (await lockSchedule(trx, schedule.id)) ?? current;
  }
  return { abandoned: orphans.length, quarantined };
}

async function triggerOfAttempt(
  trx: Transaction<Database>,
  scheduleId: string,
  scheduledFor: Date,
  attempt: number,
): Promise<ScheduleRunTrigger> {
  const row = await trx
    .selectFrom('schedule_runs')
    .select('trigger')
    .where('schedule_id', '=', scheduleId)
    .where('scheduled_for', '=', scheduledFor)
    .where('attempt', '=', attempt)
    .executeTakeFirst();
  return row?.trigger ?? 'schedule';
}

export async function lockSchedule(trx: Transaction<Database>, id: string): Promise<Schedule | undefined> {
  return trx.selectFrom('schedules').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

async function updateSchedule(
  trx: Transaction<Database>,
  id: string,
  updates: Updateable<SchedulesTable>,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('schedules')
    .set({ ...updates, updated_at: now })
    .where('id', '=', id)
    .execute();
}

function withFields(log: LogSink, fields: Record<string, unknown>): LogSink {
  return {
    info: (more, message) => log.info({ ...fields, ...more }, message),
    warn: (more, message) => log.warn({ ...fields, ...more }, message),
    error: (more, message) => log.error({ ...fields, ...more }, message),
  };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

const MAX_RESULT_BYTES = 16 * 1024;

function storableResult(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return { value: value as unknown };
  try {
    const text = JSON.stringify(value);
    if (Buffer.byteLength(text) > MAX_RESULT_BYTES)
      return { truncated: true, bytes: Buffer.byteLength(text) };
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unserialisable: true };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
