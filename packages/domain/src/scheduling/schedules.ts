import type { Database, Schedule, ScheduleRun, SchedulesTable } from '@atrium/db';
import type { Insertable, Kysely, Transaction, Updateable } from 'kysely';
import { z } from 'zod';
import type { AuditAction } from '../audit/actions.ts';
import { appendAudit } from '../audit/append.ts';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../errors.ts';
import type { Clock } from '../platform/clock.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput, validationErrorFromZod } from '../platform/validate-input.ts';
import { lockSchedule } from './engine.ts';
import { SCHEDULE_HANDLER_NAME, type ScheduleHandlerRegistry } from './handlers.ts';
import { timingOf } from './plan.ts';
import { canonicalTimeZone, cronExpressionProblem, firstSlotAfter, initialSlot } from './timing.ts';

/**
 * Managing schedules (SPEC §8 `scheduler.*`): create, update, pause, resume, trigger now, unquarantine,
 * and the reads behind the Ops console. Every change is audited in its own transaction, under the
 * acting user's org (schedules themselves are platform-wide).
 */
export interface SchedulingDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Handler names a schedule may use (and their payload schemas). */
  handlers: ScheduleHandlerRegistry;
}

/** Who acts: the signed-in operator. Their org receives the audit entry. */
export interface ScheduleActor {
  userId: string;
  orgId: string;
}

export const SCHEDULE_NAME = /^[a-z0-9][a-z0-9._-]{1,99}$/;
const MAX_PAYLOAD_BYTES = 64 * 1024;
const KINDS = ['cron', 'interval', 'once'] as const;
const MISFIRE_POLICIES = ['skip', 'run_once', 'catch_up'] as const;

const ZName = z
  .string()
  .trim()
  .regex(SCHEDULE_NAME, 'Use 2–100 lower-case letters, digits, dots, dashes or underscores');
const ZHandlerName = z.string().trim().max(100).regex(SCHEDULE_HANDLER_NAME, 'Not a handler name');
const ZPayload = z.record(z.string(), z.unknown());

/** Every setting of a schedule but its name; timing fields apply to their kind only. */
const settingsShape = {
  handler: ZHandlerName,
  kind: z.enum(KINDS),
  cronExpr: z.string().trim().max(200).nullish(),
  intervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(366 * 86_400)
    .nullish(),
  runAt: z.coerce.date().nullish(),
  timezone: z.string().trim().max(100).default('UTC'),
  payload: ZPayload.default({}),
  maxAttempts: z.number().int().min(1).max(100).default(3),
  backoffSeconds: z.number().int().min(0).max(86_400).default(30),
  maxRuntimeSeconds: z.number().int().min(1).max(86_400).default(300),
  maxConsecutiveFailures: z.number().int().min(1).max(1_000).default(5),
  misfire: z.enum(MISFIRE_POLICIES).default('run_once'),
  maxCatchUp: z.number().int().min(0).max(100).default(1),
};

type Settings = {
  handler: string;
  kind: (typeof KINDS)[number];
  cronExpr?: string | null | undefined;
  intervalSeconds?: number | null | undefined;
  runAt?: Date | null | undefined;
  timezone: string;
  payload: Record<string, unknown>;
  maxAttempts: number;
  backoffSeconds: number;
  maxRuntimeSeconds: number;
  maxConsecutiveFailures: number;
  misfire: (typeof MISFIRE_POLICIES)[number];
  maxCatchUp: number;
};

/** The rules across fields: the kind's timing field is present and valid, the zone exists, … */
function checkSettings(settings: Settings, ctx: z.RefinementCtx): void {
  if (settings.kind === 'cron') {
    const problem = settings.cronExpr
      ? cronExpressionProblem(settings.cronExpr)
      : 'is required for kind cron';
    if (problem) ctx.addIssue({ code: 'custom', path: ['cronExpr'], message: `Cron expression ${problem}` });
  }
  if (settings.kind === 'interval' && !settings.intervalSeconds) {
    ctx.addIssue({ code: 'custom', path: ['intervalSeconds'], message: 'Required for kind interval' });
  }
  if (settings.kind === 'once' && !settings.runAt) {
    ctx.addIssue({ code: 'custom', path: ['runAt'], message: 'Required for kind once' });
  }
  if (settings.runAt && Number.isNaN(settings.runAt.getTime())) {
    ctx.addIssue({ code: 'custom', path: ['runAt'], message: 'Invalid date' });
  }
  if (!canonicalTimeZone(settings.timezone)) {
    ctx.addIssue({
      code: 'custom',
      path: ['timezone'],
      message: `Unknown IANA time zone "${settings.timezone}"`,
    });
  }
  if (settings.misfire === 'catch_up' && settings.maxCatchUp < 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxCatchUp'],
      message: 'Must be at least 1 for misfire catch_up',
    });
  }
  if (Buffer.byteLength(JSON.stringify(settings.payload)) > MAX_PAYLOAD_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['payload'],
      message: `Must be at most ${MAX_PAYLOAD_BYTES} bytes of JSON`,
    });
  }
}

export const ZCreateScheduleInput = z
  .object({ name: ZName, ...settingsShape })
  .superRefine((value, ctx) => checkSettings(value, ctx));
export type CreateScheduleInput = z.input<typeof ZCreateScheduleInput>;

/** Only the fields given change; the result is validated as a whole. */
export const ZUpdateScheduleInput = z.object({
  id: z.guid(),
  name: ZName.optional(),
  handler: ZHandlerName.optional(),
  kind: z.enum(KINDS).optional(),
  cronExpr: z.string().trim().max(200).nullish(),
  intervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(366 * 86_400)
    .nullish(),
  runAt: z.coerce.date().nullish(),
  timezone: z.string().trim().max(100).optional(),
  payload: ZPayload.optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
  backoffSeconds: z.number().int().min(0).max(86_400).optional(),
  maxRuntimeSeconds: z.number().int().min(1).max(86_400).optional(),
  maxConsecutiveFailures: z.number().int().min(1).max(1_000).optional(),
  misfire: z.enum(MISFIRE_POLICIES).optional(),
  maxCatchUp: z.number().int().min(0).max(100).optional(),
});
export type UpdateScheduleInput = z.input<typeof ZUpdateScheduleInput>;

export const ZScheduleIdInput = z.object({ id: z.guid() });

export const ZListSchedulesInput = z.object({
  status: z.enum(['active', 'paused', 'quarantined', 'completed']).optional(),
  /** Opaque: the last name of the previous page. */
  cursor: z.string().max(100).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type ListSchedulesInput = z.input<typeof ZListSchedulesInput>;

export const ZListScheduleRunsInput = z.object({
  scheduleId: z.guid(),
  status: z.enum(['running', 'succeeded', 'failed', 'timed_out', 'skipped']).optional(),
  /** Opaque: the last run id of the previous page. */
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, 'Invalid cursor')
    .optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type ListScheduleRunsInput = z.input<typeof ZListScheduleRunsInput>;

export interface ScheduleDto {
  id: string;
  name: string;
  handler: string;
  kind: Schedule['kind'];
  cronExpr: string | null;
  intervalSeconds: number | null;
  runAt: Date | null;
  timezone: string;
  payload: Record<string, unknown>;
  status: Schedule['status'];
  maxAttempts: number;
  backoffSeconds: number;
  maxRuntimeSeconds: number;
  maxConsecutiveFailures: number;
  consecutiveFailures: number;
  quarantinedAt: Date | null;
  misfire: Schedule['misfire'];
  maxCatchUp: number;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  /** A failed attempt's retry, when pending. */
  retryAt: Date | null;
  retryAttempt: number | null;
  /** A `triggerNow` not yet picked up by a replica. */
  pendingTriggerAt: Date | null;
  catchUpRemaining: number;
  builtin: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScheduleRunDto {
  id: string;
  scheduleId: string;
  scheduledFor: Date;
  attempt: number;
  trigger: ScheduleRun['trigger'];
  nodeId: string;
  fencingToken: string;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  status: ScheduleRun['status'];
  error: string | null;
  result: unknown;
}

/** The outcome of a schedule's latest run, as the schedules list shows it. */
export interface ScheduleLastRunDto {
  status: ScheduleRun['status'];
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** A row of `scheduler.list`: the schedule and its latest run (null before the first). */
export interface ScheduleListItemDto extends ScheduleDto {
  lastRun: ScheduleLastRunDto | null;
}

export function toScheduleDto(row: Schedule): ScheduleDto {
  return {
    id: row.id,
    name: row.name,
    handler: row.handler,
    kind: row.kind,
    cronExpr: row.cron_expr,
    intervalSeconds: row.interval_seconds,
    runAt: row.run_at,
    timezone: row.timezone,
    payload: row.payload,
    status: row.status,
    maxAttempts: row.max_attempts,
    backoffSeconds: row.backoff_seconds,
    maxRuntimeSeconds: row.max_runtime_seconds,
    maxConsecutiveFailures: row.max_consecutive_failures,
    consecutiveFailures: row.consecutive_failures,
    quarantinedAt: row.quarantined_at,
    misfire: row.misfire,
    maxCatchUp: row.max_catch_up,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    retryAt: row.retry_at,
    retryAttempt: row.retry_attempt,
    pendingTriggerAt: row.manual_run_at,
    catchUpRemaining: row.catch_up_remaining,
    builtin: row.builtin,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toScheduleRunDto(row: ScheduleRun): ScheduleRunDto {
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    scheduledFor: row.scheduled_for,
    attempt: row.attempt,
    trigger: row.trigger,
    nodeId: row.node_id,
    fencingToken: row.fencing_token,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.finished_at ? row.finished_at.getTime() - row.started_at.getTime() : null,
    status: row.status,
    error: row.error,
    result: row.result,
  };
}

// ── Reads ────────────────────────────────────────────────────────────────────────────────────────

export async function listSchedules(
  db: Kysely<Database>,
  input: ListSchedulesInput = {},
): Promise<{ items: ScheduleListItemDto[]; nextCursor: string | null }> {
  const filters = validateInput(ZListSchedulesInput, input, 'Invalid schedule filters');
  // The latest run of each listed schedule in the same statement: one index probe per row
  // (schedule_runs_schedule_idx), rather than a runs request per row from every open console.
  let query = db
    .selectFrom('schedules')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('schedule_runs')
          .select([
            'schedule_runs.status as last_status',
            'schedule_runs.error as last_error',
            'schedule_runs.started_at as last_started_at',
            'schedule_runs.finished_at as last_finished_at',
          ])
          .whereRef('schedule_runs.schedule_id', '=', 'schedules.id')
          .orderBy('schedule_runs.id', 'desc')
          .limit(1)
          .as('last_run'),
      (join) => join.onTrue(),
    )
    .selectAll('schedules')
    .select(['last_status', 'last_error', 'last_started_at', 'last_finished_at']);
  if (filters.status) query = query.where('schedules.status', '=', filters.status);
  if (filters.cursor) query = query.where('schedules.name', '>', filters.cursor);
  const rows = await query
    .orderBy('schedules.name')
    .limit(filters.limit + 1)
    .execute();
  const page = rows.slice(0, filters.limit);
  return {
    items: page.map((row) => ({
      ...toScheduleDto(row),
      lastRun:
        row.last_status && row.last_started_at
          ? {
              status: row.last_status,
              error: row.last_error,
              startedAt: row.last_started_at,
              finishedAt: row.last_finished_at,
            }
          : null,
    })),
    nextCursor: rows.length > filters.limit ? (page.at(-1)?.name ?? null) : null,
  };
}

export async function getSchedule(db: Kysely<Database>, input: { id: string }): Promise<ScheduleDto> {
  const { id } = validateInput(ZScheduleIdInput, input, 'Invalid schedule id');
  const row = await db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Schedule');
  return toScheduleDto(row);
}

/** A schedule's runs, newest first (one row per attempt, plus `skipped` rows for missed slots). */
export async function listScheduleRuns(
  db: Kysely<Database>,
  input: ListScheduleRunsInput,
): Promise<{ items: ScheduleRunDto[]; nextCursor: string | null }> {
  const filters = validateInput(ZListScheduleRunsInput, input, 'Invalid run filters');
  const schedule = await db
    .selectFrom('schedules')
    .select('id')
    .where('id', '=', filters.scheduleId)
    .executeTakeFirst();
  if (!schedule) throw new NotFoundError('Schedule');
  let query = db.selectFrom('schedule_runs').selectAll().where('schedule_id', '=', filters.scheduleId);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.cursor) query = query.where('id', '<', filters.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filters.limit + 1)
    .execute();
  const page = rows.slice(0, filters.limit);
  return {
    items: page.map(toScheduleRunDto),
    nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

// ── Changes ──────────────────────────────────────────────────────────────────────────────────────

/** Creates a schedule; its first slot is computed now. 409 on a duplicate name. */
export async function createSchedule(
  deps: SchedulingDeps,
  input: CreateScheduleInput & { actor: ScheduleActor | null },
): Promise<ScheduleDto> {
  const { actor, ...fields } = input;
  const settings = validateInput(ZCreateScheduleInput, fields, 'Invalid schedule');
  checkHandler(deps.handlers, settings);
  const now = deps.clock.now();
  const values = rowValues(settings);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('schedules')
        .values({
          ...values,
          name: settings.name,
          next_run_at: initialSlot(timingOf(values), now),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(trx, actor, 'scheduler.schedule.created', row, {
        name: row.name,
        handler: row.handler,
        kind: row.kind,
        cronExpr: row.cron_expr,
        intervalSeconds: row.interval_seconds,
        runAt: row.run_at?.toISOString() ?? null,
        timezone: row.timezone,
      });
      return toScheduleDto(row);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'schedules_name_key')) {
      throw new ConflictError(`A schedule named "${settings.name}" already exists`);
    }
    throw error;
  }
}

const TIMING_FIELDS = ['kind', 'cronExpr', 'intervalSeconds', 'runAt', 'timezone'] as const;

/**
 * Changes a schedule's definition. A change of timing recomputes `next_run_at` from now (and re-arms a
 * completed `once`). Built-in schedules are defined in code and refuse changes (422).
 */
export async function updateSchedule(
  deps: SchedulingDeps,
  input: UpdateScheduleInput & { actor: ScheduleActor | null },
): Promise<ScheduleDto> {
  const { actor, ...fields } = input;
  const changes = validateInput(ZUpdateScheduleInput, fields, 'Invalid schedule');
  const now = deps.clock.now();
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const current = await lockOrNotFound(trx, changes.id);
      if (current.builtin) {
        throw new UnprocessableError(
          'Built-in schedules are defined in code; pause, resume or trigger them instead',
        );
      }
      const merged = { name: current.name, ...settingsOf(current) };
      for (const [key, value] of Object.entries(changes)) {
        if (key !== 'id' && value !== undefined) (merged as Record<string, unknown>)[key] = value;
      }
      const settings = validateInput(ZCreateScheduleInput, merged, 'Invalid schedule');
      checkHandler(deps.handlers, settings);
      const values = rowValues(settings);
      const changed = Object.keys(changes).filter(
        (key) => key !== 'id' && changes[key as keyof typeof changes] !== undefined,
      );
      const timingChanged = TIMING_FIELDS.some((field) => changed.includes(field));
      const update: Updateable<SchedulesTable> = { ...values, name: settings.name };
      if (timingChanged) {
        update.next_run_at = initialSlot(timingOf(values), now);
        update.catch_up_remaining = 0;
        update.catch_up_resume_at = null;
        if (current.status === 'completed' && update.next_run_at !== null) update.status = 'active';
      }
      const row = await trx
        .updateTable('schedules')
        .set({ ...update, updated_at: now })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(trx, actor, 'scheduler.schedule.updated', row, {
        changed,
        ...Object.fromEntries(
          changed
            .filter((key) => key !== 'payload')
            .map((key) => [key, auditable(changes[key as keyof typeof changes])]),
        ),
      });
      return toScheduleDto(row);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'schedules_name_key')) {
      throw new ConflictError(`A schedule named "${changes.name}" already exists`);
    }
    throw error;
  }
}

/**
 * Stops new occurrences. An occurrence in progress still finishes (its retries included); manual
 * triggers still run. Pausing a paused schedule changes nothing.
 */
export async function pauseSchedule(
  deps: SchedulingDeps,
  input: { id: string; actor: ScheduleActor | null },
): Promise<ScheduleDto> {
  return changeStatus(deps, input, 'scheduler.schedule.paused', (current) => {
    if (current.status === 'paused') return null;
    if (current.status !== 'active') {
      throw new ConflictError(`Only an active schedule can be paused; this one is ${current.status}`, {
        status: current.status,
      });
    }
    return { status: 'paused' };
  });
}

/**
 * Resumes a paused schedule from the next future slot: slots that passed while it was paused are not
 * caught up (pausing is deliberate; misfire policies are for downtime). A `once` keeps its run_at.
 */
export async function resumeSchedule(
  deps: SchedulingDeps,
  input: { id: string; actor: ScheduleActor | null },
): Promise<ScheduleDto> {
  return changeStatus(deps, input, 'scheduler.schedule.resumed', (current, now) => {
    if (current.status === 'active') return null;
    if (current.status !== 'paused') {
      throw new ConflictError(
        current.status === 'quarantined'
          ? 'This schedule is quarantined; unquarantine it instead'
          : `Only a paused schedule can be resumed; this one is ${current.status}`,
        { status: current.status },
      );
    }
    if (current.kind === 'once') {
      return current.next_run_at === null && current.retry_at === null
        ? { status: 'completed' }
        : { status: 'active' };
    }
    return {
      status: 'active',
      next_run_at: firstSlotAfter(timingOf(current), now),
      catch_up_remaining: 0,
      catch_up_resume_at: null,
    };
  });
}

/**
 * Asks for one immediate occurrence. Exactly one replica runs it: the pending trigger lives on the
 * schedule row and is cleared by the claim that runs it. Asking again while one is pending changes
 * nothing. Runs on active, paused and completed schedules; a quarantined one must be unquarantined.
 */
export async function triggerScheduleNow(
  deps: SchedulingDeps,
  input: { id: string; actor: ScheduleActor | null },
): Promise<ScheduleDto> {
  return changeStatus(deps, input, 'scheduler.schedule.triggered', (current, now) => {
    if (current.status === 'quarantined') {
      throw new ConflictError('This schedule is quarantined; unquarantine it before triggering it', {
        status: current.status,
      });
    }
    if (current.manual_run_at !== null) return null;
    return { manual_run_at: now };
  });
}

/**
 * Lets a quarantined schedule run again: failures reset, next slot from now (a `once` runs again now).
 */
export async function unquarantineSchedule(
  deps: SchedulingDeps,
  input: { id: string; actor: ScheduleActor | null },
): Promise<ScheduleDto> {
  return changeStatus(deps, input, 'scheduler.schedule.unquarantined', (current, now) => {
    if (current.status !== 'quarantined') {
      throw new ConflictError(`This schedule is not quarantined; it is ${current.status}`, {
        status: current.status,
      });
    }
    return {
      status: 'active',
      quarantined_at: null,
      consecutive_failures: 0,
      next_run_at: current.kind === 'once' ? now : firstSlotAfter(timingOf(current), now),
      catch_up_remaining: 0,
      catch_up_resume_at: null,
    };
  });
}

// ── Built-in schedules ───────────────────────────────────────────────────────────────────────────

/**
 * Upserts schedules defined in code, by name, on every scheduler start (any number of replicas at
 * once). Code owns the definition; operators own the state: status, failure count, quarantine,
 * pending retries and triggers are kept. A changed timing recomputes `next_run_at`.
 */
export async function ensureBuiltInSchedules(
  deps: { db: Kysely<Database>; clock: Clock },
  definitions: readonly CreateScheduleInput[],
): Promise<void> {
  const now = deps.clock.now();
  for (const definition of definitions) {
    const settings = ZCreateScheduleInput.parse(definition);
    const values = rowValues(settings);
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('schedules')
        .values({
          ...values,
          name: settings.name,
          builtin: true,
          next_run_at: initialSlot(timingOf(values), now),
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const current = await trx
        .selectFrom('schedules')
        .selectAll()
        .where('name', '=', settings.name)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const timingChanged =
        current.kind !== values.kind ||
        current.cron_expr !== values.cron_expr ||
        current.interval_seconds !== values.interval_seconds ||
        current.timezone !== values.timezone ||
        (current.run_at?.getTime() ?? null) !== (values.run_at?.getTime() ?? null);
      const update: Updateable<SchedulesTable> = { ...values, builtin: true };
      if (timingChanged) {
        update.next_run_at = initialSlot(timingOf(values), now);
        update.catch_up_remaining = 0;
        update.catch_up_resume_at = null;
      }
      await trx
        .updateTable('schedules')
        .set({ ...update, updated_at: now })
        .where('id', '=', current.id)
        .execute();
    });
  }
}

// ── Helpers ──────────────────────────────────────────────────────────────────────────────────────

type ScheduleValues = Omit<Insertable<SchedulesTable>, 'name' | 'payload'> & {
  kind: Schedule['kind'];
  cron_expr: string | null;
  interval_seconds: number | null;
  run_at: Date | null;
  timezone: string;
  payload: string;
};

/** Settings → columns. Timing fields of other kinds are dropped; the zone is stored canonical. */
function rowValues(settings: Settings): ScheduleValues {
  return {
    handler: settings.handler,
    kind: settings.kind,
    cron_expr: settings.kind === 'cron' ? (settings.cronExpr ?? null) : null,
    interval_seconds: settings.kind === 'interval' ? (settings.intervalSeconds ?? null) : null,
    run_at: settings.kind === 'once' ? (settings.runAt ?? null) : null,
    timezone: canonicalTimeZone(settings.timezone) ?? settings.timezone,
    // Serialised here: the driver would turn a top-level array into a PostgreSQL array literal.
    payload: JSON.stringify(settings.payload),
    max_attempts: settings.maxAttempts,
    backoff_seconds: settings.backoffSeconds,
    max_runtime_seconds: settings.maxRuntimeSeconds,
    max_consecutive_failures: settings.maxConsecutiveFailures,
    misfire: settings.misfire,
    max_catch_up: settings.maxCatchUp,
  };
}

function settingsOf(row: Schedule): Settings {
  return {
    handler: row.handler,
    kind: row.kind,
    cronExpr: row.cron_expr,
    intervalSeconds: row.interval_seconds,
    runAt: row.run_at,
    timezone: row.timezone,
    payload: row.payload,
    maxAttempts: row.max_attempts,
    backoffSeconds: row.backoff_seconds,
    maxRuntimeSeconds: row.max_runtime_seconds,
    maxConsecutiveFailures: row.max_consecutive_failures,
    misfire: row.misfire,
    maxCatchUp: row.max_catch_up,
  };
}

function checkHandler(handlers: ScheduleHandlerRegistry, settings: Settings): void {
  const definition = handlers.get(settings.handler);
  if (!definition) {
    throw new ValidationError(`Unknown handler "${settings.handler}"`, {
      handler: [`Unknown handler; known handlers: ${handlers.names().join(', ') || 'none'}`],
    });
  }
  if (definition.payload) {
    const parsed = definition.payload.safeParse(settings.payload);
    if (!parsed.success) {
      throw validationErrorFromZod(parsed.error, {
        message: 'Invalid payload for this handler',
        prefix: 'payload',
      });
    }
  }
}

async function changeStatus(
  deps: SchedulingDeps,
  input: { id: string; actor: ScheduleActor | null },
  action: AuditAction,
  decide: (current: Schedule, now: Date) => Updateable<SchedulesTable> | null,
): Promise<ScheduleDto> {
  const { id } = validateInput(ZScheduleIdInput, { id: input.id }, 'Invalid schedule id');
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const current = await lockOrNotFound(trx, id);
    const update = decide(current, now);
    if (update === null) return toScheduleDto(current);
    const row = await trx
      .updateTable('schedules')
      .set({ ...update, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, input.actor, action, row, {
      name: row.name,
      from: current.status,
      to: row.status,
      ...(row.manual_run_at && !current.manual_run_at
        ? { scheduledFor: row.manual_run_at.toISOString() }
        : {}),
    });
    return toScheduleDto(row);
  });
}

async function lockOrNotFound(trx: Transaction<Database>, id: string): Promise<Schedule> {
  const row = await lockSchedule(trx, id);
  if (!row) throw new NotFoundError('Schedule');
  return row;
}

/** The audit entry of a change, last in its transaction; system changes (no actor) have no org to go to. */
async function audit(
  trx: Transaction<Database>,
  actor: ScheduleActor | null,
  action: AuditAction,
  row: Schedule,
  payload: Record<string, unknown>,
): Promise<void> {
  if (!actor) return;
  await appendAudit(trx, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action,
    resourceType: 'schedule',
    resourceId: row.id,
    payload,
  });
}

function auditable(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}
