import { formatDateTime, formatInterval } from './format.ts';
import type { Schedule } from './ops-queries.ts';

/** `cron 7 * * * * (Europe/Berlin)`, `every 5 min`, `once at 1 Dec 2026, 09:00:00`. */
export function describeTiming(
  schedule: Pick<Schedule, 'kind' | 'cronExpr' | 'intervalSeconds' | 'runAt' | 'timezone'>,
): string {
  switch (schedule.kind) {
    case 'cron':
      return `cron ${schedule.cronExpr ?? '?'} (${schedule.timezone})`;
    case 'interval':
      return schedule.intervalSeconds ? formatInterval(schedule.intervalSeconds) : 'interval';
    case 'once':
      return schedule.runAt ? `once at ${formatDateTime(schedule.runAt)}` : 'once';
  }
}

export const MISFIRE_LABEL: Record<Schedule['misfire'], string> = {
  skip: 'Skip missed runs',
  run_once: 'Run once for the latest missed slot',
  catch_up: 'Catch up missed slots, oldest first',
};

export const MISFIRE_HINT: Record<Schedule['misfire'], string> = {
  skip: 'After downtime, missed slots do not run; the schedule continues at its next future slot.',
  run_once: 'After downtime, one run stands in for every missed slot; then the next future slot.',
  catch_up: 'After downtime, up to “max catch-up” missed slots run one after another, oldest first.',
};

export const SCHEDULE_STATUSES = ['active', 'paused', 'quarantined', 'completed'] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'timed_out', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export function schedulePath(id: string): string {
  return `/ops/schedules/${id}`;
}
