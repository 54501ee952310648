import type { Database, Schedule, SchedulesTable } from '@atrium/db';
import type { Kysely, Transaction, Updateable } from 'kysely';
import type { AuditAction } from '../audit/actions.ts';
import { appendAudit } from '../audit/append.ts';
import { PLATFORM_AUDIT_CHAIN } from '../audit/platform.ts';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors.ts';
import type { Clock } from '../platform/clock.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { lockSchedule } from './engine.ts';
import type { ScheduleHandlerRegistry } from './handlers.ts';
import { timingOf } from './plan.ts';
import {
  type CreateScheduleInput,
  changedSettings,
  checkHandler,
  movesSlots,
  rowValues,
  type ScheduleSettingName,
  type Settings,
  settingsOf,
  type UpdateScheduleInput,
  ZCreateScheduleInput,
  ZUpdateScheduleInput,
} from './schedule-settings.ts';
import { type ScheduleDto, toScheduleDto, ZScheduleIdInput } from './schedule-views.ts';
import { firstSlotAfter, initialSlot } from './timing.ts';

/**
 * Managing schedules (SPEC §8 `scheduler.*`): create, update, pause, resume, trigger now, unquarantine,
 * and the built-in schedules' upsert. Every change is audited in its own transaction, under the
 * acting user's org (schedules themselves are platform-wide). The reads are in schedule-views.ts.
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

/** A schedule after `updateSchedule`, and which of its settings really changed (none: nothing was written). */
export interface UpdatedScheduleDto extends ScheduleDto {
  changed: ScheduleSettingName[];
}

/**
 * Changes a schedule's definition: the given settings over the stored ones, validated as a whole.
 * Only settings whose stored value really changes count — a form may send every field — and only
 * they are audited; when none does, nothing is written. A change of timing recomputes `next_run_at`
 * from now (and re-arms a completed `once`). Built-in schedules are defined in code and refuse
 * changes (422).
 */
export async function updateSchedule(
  deps: SchedulingDeps,
  input: UpdateScheduleInput & { actor: ScheduleActor | null },
): Promise<UpdatedScheduleDto> {
  const { actor, ...fields } = input;
  const { id, ...given } = validateInput(ZUpdateScheduleInput, fields, 'Invalid schedule');
  const now = deps.clock.now();
  let settings: Settings | undefined;
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const current = await lockOrNotFound(trx, id);
      if (current.builtin) {
        throw new UnprocessableError(
          'Built-in schedules are defined in code; pause, resume or trigger them instead',
        );
      }
      const stated = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
      settings = validateInput(
        ZCreateScheduleInput,
        { ...settingsOf(current), ...stated },
        'Invalid schedule',
      );
      checkHandler(deps.handlers, settings);
      const values = rowValues(settings);
      const changed = changedSettings(current, values);
      if (changed.length === 0) return { ...toScheduleDto(current), changed };
      const update: Updateable<SchedulesTable> = { ...values };
      if (movesSlots(changed)) {
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
      const after = settings;
      await audit(trx, actor, 'scheduler.schedule.updated', row, {
        changed,
        ...Object.fromEntries(
          changed.filter((key) => key !== 'payload').map((key) => [key, auditable(after[key])]),
        ),
      });
      return { ...toScheduleDto(row), changed };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'schedules_name_key')) {
      throw new ConflictError(`A schedule named "${settings?.name}" already exists`);
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

/**
 * Deletes a schedule and its run history. Built-in schedules are refused (422: the scheduler would
 * create them again at its next start; pause one instead), and so is a schedule with a run in
 * progress (409: wait for it to finish, or pause the schedule first).
 */
export async function deleteSchedule(
  deps: SchedulingDeps,
  input: { id: string; actor: ScheduleActor | null },
): Promise<{ id: string; name: string; deleted: true }> {
  const { id } = validateInput(ZScheduleIdInput, { id: input.id }, 'Invalid schedule id');
  return deps.db.transaction().execute(async (trx) => {
    const current = await lockOrNotFound(trx, id);
    if (current.builtin) {
      throw new UnprocessableError(
        'Built-in schedules cannot be deleted: the scheduler creates them again when it starts. Pause it instead.',
      );
    }
    const running = await trx
      .selectFrom('schedule_runs')
      .select('id')
      .where('schedule_id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (running) {
      throw new ConflictError('This schedule is running right now; delete it once the run has finished', {
        status: 'running',
      });
    }
    const runs = await trx
      .selectFrom('schedule_runs')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('schedule_id', '=', id)
      .executeTakeFirst();
    // Its runs go with it (foreign key, on delete cascade).
    await trx.deleteFrom('schedules').where('id', '=', id).execute();
    await audit(trx, input.actor, 'scheduler.schedule.deleted', current, {
      name: current.name,
      handler: current.handler,
      status: current.status,
      runs: Number(runs?.count ?? 0),
    });
    return { id, name: current.name, deleted: true as const };
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
      const update: Updateable<SchedulesTable> = { ...values, builtin: true };
      if (movesSlots(changedSettings(current, values))) {
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
    // Schedules are platform-wide and managed by operators: the platform chain records them.
    orgId: PLATFORM_AUDIT_CHAIN,
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
