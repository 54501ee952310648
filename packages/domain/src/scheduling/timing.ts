import { CronExpressionParser } from 'cron-parser';

/**
 * When a schedule's occurrences ("slots") fall. Cron expressions are read in the schedule's IANA time
 * zone by cron-parser (luxon underneath), so a daily 09:00 stays 09:00 local across DST changes:
 * a local time that does not exist (spring forward) fires once at the shifted instant, a local time
 * that happens twice (fall back) fires once, at its first instant. Intervals are plain elapsed time.
 */
export type ScheduleKind = 'cron' | 'interval' | 'once';

export interface ScheduleTiming {
  kind: ScheduleKind;
  cronExpr: string | null;
  intervalSeconds: number | null;
  runAt: Date | null;
  timezone: string;
}

/** 5 fields (minute precision) or 6 (with seconds first), or one of cron-parser's @aliases. */
const CRON_ALIASES = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@hourly',
  '@minutely',
  '@weekdays',
  '@weekends',
]);

/** Returns why `expression` is not a usable cron expression, or null when it is. */
export function cronExpressionProblem(expression: string): string | null {
  const trimmed = expression.trim();
  if (trimmed.length === 0) return 'is required';
  if (trimmed.length > 200) return 'is too long';
  if (trimmed.startsWith('@')) {
    return CRON_ALIASES.has(trimmed.toLowerCase()) ? null : `unknown alias ${trimmed}`;
  }
  const fields = trimmed.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `must have 5 fields (or 6 with seconds), got ${fields}`;
  try {
    // One next() proves the expression can ever fire (e.g. "0 0 30 2 *" cannot).
    CronExpressionParser.parse(trimmed, { currentDate: new Date(0), tz: 'UTC' }).next();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : 'is not a valid cron expression';
  }
}

const IANA_NAME = /^(UTC|[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+|[A-Z]{3,5}([0-9][A-Z]{3,4})?)$/;

/**
 * The IANA name of `timeZone` with its canonical spelling (`europe/berlin` → `Europe/Berlin`), or null
 * when the runtime does not know it. Aliases stay as given (`America/Argentina/Buenos_Aires` is not
 * rewritten to ICU's older `America/Buenos_Aires`). Offsets such as `+03:00` are refused: they are not
 * time zones and know no DST.
 */
export function canonicalTimeZone(timeZone: string): string | null {
  if (!IANA_NAME.test(timeZone)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  const wanted = timeZone.toLowerCase();
  if (timeZone === 'UTC' || resolved.toLowerCase() === wanted) return resolved;
  return knownZones().get(wanted) ?? timeZone;
}

let zonesByLowerCase: Map<string, string> | null = null;
function knownZones(): Map<string, string> {
  zonesByLowerCase ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  return zonesByLowerCase;
}

function cronAfter(timing: ScheduleTiming, after: Date) {
  return CronExpressionParser.parse(timing.cronExpr ?? '', { currentDate: after, tz: timing.timezone });
}

/** The slot that follows `slot` (null for `once`: it has one slot). */
export function followingSlot(timing: ScheduleTiming, slot: Date): Date | null {
  switch (timing.kind) {
    case 'cron':
      return cronAfter(timing, slot).next().toDate();
    case 'interval':
      return new Date(slot.getTime() + (timing.intervalSeconds ?? 0) * 1000);
    case 'once':
      return null;
  }
}

/**
 * The first slot strictly after `now`, for a schedule starting (or restarting) at `now`: cron → its
 * next match; interval → `now + interval`; once → `run_at` if still ahead, else null.
 */
export function firstSlotAfter(timing: ScheduleTiming, now: Date): Date | null {
  switch (timing.kind) {
    case 'cron':
      return cronAfter(timing, now).next().toDate();
    case 'interval':
      return new Date(now.getTime() + (timing.intervalSeconds ?? 0) * 1000);
    case 'once':
      return timing.runAt && timing.runAt.getTime() > now.getTime() ? timing.runAt : null;
  }
}

/** Where a new schedule (or one whose timing changed) starts: `once` keeps its run_at even if past. */
export function initialSlot(timing: ScheduleTiming, now: Date): Date | null {
  return timing.kind === 'once' ? timing.runAt : firstSlotAfter(timing, now);
}

/** Counting missed slots stops here: a summary says "more than" beyond it. */
export const MAX_COUNTED_SLOTS = 1_000;

export interface DueSlots {
  /** The first `limit` due slots, oldest first (the first is `from`). */
  first: Date[];
  /** How many slots fall in [from, now] (capped at MAX_COUNTED_SLOTS, see `capped`). */
  count: number;
  capped: boolean;
  /** The most recent due slot. */
  latest: Date;
}

/** The slots in [from, now], `from` being a slot (a schedule's next_run_at) that is due. */
export function dueSlots(timing: ScheduleTiming, from: Date, now: Date, limit: number): DueSlots {
  if (timing.kind === 'interval') {
    const step = (timing.intervalSeconds ?? 1) * 1000;
    const total = Math.floor((now.getTime() - from.getTime()) / step) + 1;
    const first = Array.from(
      { length: Math.min(limit, total) },
      (_, i) => new Date(from.getTime() + i * step),
    );
    return { first, count: total, capped: false, latest: new Date(from.getTime() + (total - 1) * step) };
  }
  if (timing.kind === 'once')
    return { first: limit > 0 ? [from] : [], count: 1, capped: false, latest: from };

  const first: Date[] = [];
  let count = 0;
  let latest = from;
  let slot: Date | null = from;
  while (slot && slot.getTime() <= now.getTime() && count < MAX_COUNTED_SLOTS) {
    if (first.length < limit) first.push(slot);
    latest = slot;
    count += 1;
    slot = followingSlot(timing, slot);
  }
  const capped = slot !== null && slot.getTime() <= now.getTime();
  if (capped) {
    // Too many to walk: find the latest directly (the previous match at or before now).
    latest = cronAfter(timing, new Date(now.getTime() + 1))
      .prev()
      .toDate();
  }
  return { first, count, capped, latest };
}

/**
 * Delay before retrying after `attempt` failed: `backoff_seconds · 2^(attempt-1)`, ±20 % jitter so
 * replicas and schedules that failed together do not retry in lockstep, capped at a day.
 */
export const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;

export function retryDelayMs(
  backoffSeconds: number,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = backoffSeconds * 1000 * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const jitter = 1 + (random() * 2 - 1) * 0.2;
  return Math.round(Math.min(base * jitter, MAX_RETRY_DELAY_MS));
}
