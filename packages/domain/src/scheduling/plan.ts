import type { Schedule, ScheduleRunTrigger, SchedulesTable } from '@atrium/db';
import type { Updateable } from 'kysely';
import { dueSlots, followingSlot, MAX_COUNTED_SLOTS, type ScheduleTiming } from './timing.ts';

/**
 * What a schedule should do now, decided from its row alone (pure, so every rule is testable without a
 * database). The claim applies the plan in the transaction that inserts the run row.
 *
 * Order of precedence, one occurrence at a time per schedule:
 *  1. a pending retry of the current occurrence (nothing else runs while one is pending);
 *  2. a pending `triggerNow`;
 *  3. the regular slot (`next_run_at`) of an active schedule — late by at most the misfire grace:
 *     run it; later than that: the misfire policy; during a catch-up: the next missed slot.
 * Paused and completed schedules still finish an occurrence in progress (its retries) and run manual
 * triggers; quarantined ones run nothing.
 */
export type MisfireSummary = { scheduledFor: Date; count: number; message: string };

export type WorkPlan =
  | { type: 'none' }
  | {
      type: 'run';
      scheduledFor: Date;
      attempt: number;
      /** null: a retry, which keeps the trigger of the attempt it repeats. */
      trigger: ScheduleRunTrigger | null;
      updates: Updateable<SchedulesTable>;
      /** Missed slots recorded as one `skipped` run row. */
      skipped?: MisfireSummary;
    }
  | { type: 'skip'; updates: Updateable<SchedulesTable>; skipped: MisfireSummary };

export function timingOf(
  schedule: Pick<Schedule, 'kind' | 'cron_expr' | 'interval_seconds' | 'run_at' | 'timezone'>,
): ScheduleTiming {
  return {
    kind: schedule.kind,
    cronExpr: schedule.cron_expr,
    intervalSeconds: schedule.interval_seconds,
    runAt: schedule.run_at,
    timezone: schedule.timezone,
  };
}

export function planNextWork(schedule: Schedule, now: Date, misfireGraceMs: number): WorkPlan {
  const at = now.getTime();
  if (schedule.status === 'quarantined') return { type: 'none' };

  if (schedule.retry_at !== null) {
    if (
      schedule.retry_at.getTime() > at ||
      !schedule.retry_scheduled_for ||
      schedule.retry_attempt === null
    ) {
      return { type: 'none' };
    }
    return {
      type: 'run',
      scheduledFor: schedule.retry_scheduled_for,
      attempt: schedule.retry_attempt,
      trigger: null,
      updates: { retry_at: null, retry_scheduled_for: null, retry_attempt: null },
    };
  }

  if (schedule.manual_run_at !== null && schedule.manual_run_at.getTime() <= at) {
    return {
      type: 'run',
      scheduledFor: schedule.manual_run_at,
      attempt: 1,
      trigger: 'manual',
      updates: { manual_run_at: null },
    };
  }

  const slot = schedule.next_run_at;
  if (schedule.status !== 'active' || slot === null || slot.getTime() > at) return { type: 'none' };
  const timing = timingOf(schedule);

  if (schedule.catch_up_remaining > 0) {
    const remaining = schedule.catch_up_remaining - 1;
    return {
      type: 'run',
      scheduledFor: slot,
      attempt: 1,
      trigger: 'catch_up',
      updates: {
        next_run_at: remaining > 0 ? followingSlot(timing, slot) : schedule.catch_up_resume_at,
        catch_up_remaining: remaining,
        catch_up_resume_at: remaining > 0 ? schedule.catch_up_resume_at : null,
      },
    };
  }

  if (at - slot.getTime() <= misfireGraceMs) {
    return {
      type: 'run',
      scheduledFor: slot,
      attempt: 1,
      trigger: 'schedule',
      updates: { next_run_at: followingSlot(timing, slot) },
    };
  }

  // Misfire: the slot is older than the grace — the scheduler was down (or this schedule was blocked).
  const catchUp = schedule.misfire === 'catch_up' ? schedule.max_catch_up : 0;
  const due = dueSlots(timing, slot, now, catchUp + 1);
  // The first slot after now, on the schedule's own grid.
  const future = followingSlot(timing, due.latest);
  const countText = due.capped ? `more than ${MAX_COUNTED_SLOTS}` : String(due.count);
  // A `once` schedule has no future slot: whatever the policy decides, it is then done.
  const nextRegular: Updateable<SchedulesTable> = { next_run_at: future };

  if (schedule.misfire === 'run_once') {
    return {
      type: 'run',
      scheduledFor: due.latest,
      attempt: 1,
      trigger: 'misfire',
      updates: nextRegular,
      ...(due.count > 1
        ? {
            skipped: {
              scheduledFor: slot,
              count: due.count - 1,
              message: `misfire (run_once): skipped ${due.capped ? `${countText} runs` : runsText(due.count - 1)} from ${iso(slot)}; ran the latest, ${iso(due.latest)}`,
            },
          }
        : {}),
    };
  }

  const runCount = Math.min(catchUp, due.count);
  if (runCount === 0) {
    return {
      type: 'skip',
      updates: schedule.kind === 'once' ? { ...nextRegular, status: 'completed' } : nextRegular,
      skipped: {
        scheduledFor: slot,
        count: due.count,
        message: `misfire (skip): skipped ${due.capped ? `${countText} runs` : runsText(due.count)} from ${iso(slot)} to ${iso(due.latest)}`,
      },
    };
  }

  // catch_up: the oldest `runCount` missed slots run, one after another; the rest are skipped.
  const [firstSlot, secondSlot] = due.first;
  const rest = due.count - runCount;
  return {
    type: 'run',
    scheduledFor: firstSlot ?? slot,
    attempt: 1,
    trigger: 'catch_up',
    updates:
      runCount > 1
        ? { next_run_at: secondSlot ?? future, catch_up_remaining: runCount - 1, catch_up_resume_at: future }
        : nextRegular,
    ...(rest > 0
      ? {
          skipped: {
            scheduledFor: due.first[runCount] ?? due.latest,
            count: rest,
            message: `misfire (catch_up, max ${catchUp}): ran ${runsText(runCount, 'missed')}, skipped ${due.capped ? `the rest of ${countText}` : rest} from ${iso(due.first[runCount] ?? due.latest)} to ${iso(due.latest)}`,
          },
        }
      : {}),
  };
}

/** "1 run", "3 missed runs": the counts in run notes, without "(s)". */
function runsText(count: number, adjective?: string): string {
  return `${count} ${adjective ? `${adjective} ` : ''}run${count === 1 ? '' : 's'}`;
}

function iso(date: Date): string {
  return date.toISOString();
}
