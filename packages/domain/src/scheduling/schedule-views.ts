import type { Database, Schedule, ScheduleRun } from '@atrium/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { NotFoundError } from '../errors.ts';
import { ZSeqText } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';

/** What the Ops console reads of schedules (SPEC §8 `scheduler.list|get|runs`): inputs, DTOs, queries. */

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
  cursor: ZSeqText.optional(),
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
