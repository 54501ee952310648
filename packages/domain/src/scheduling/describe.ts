import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { ZDate } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';
import {
  canonicalTimeZone,
  cronExpressionProblem,
  firstSlotAfter,
  followingSlot,
  type ScheduleTiming,
} from './timing.ts';

/**
 * Schedules in words people read (SPEC §8 console): "every day at 02:30", "every 15 minutes", and
 * the next few run times in the schedule's own time zone — the way Sidekiq-Cron and Oban Web show a
 * cron expression instead of asking operators to decode it.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const ALIASES: Record<string, string> = {
  '@yearly': 'every year on 1 January at 00:00',
  '@annually': 'every year on 1 January at 00:00',
  '@monthly': 'on the 1st of every month at 00:00',
  '@weekly': 'every Sunday at 00:00',
  '@daily': 'every day at 00:00',
  '@hourly': 'every hour, on the hour',
  '@minutely': 'every minute',
  '@weekdays': 'every weekday (Monday to Friday) at 00:00',
  '@weekends': 'every Saturday and Sunday at 00:00',
};

const NUMBER = /^\d+$/;
const pad = (value: string) => value.padStart(2, '0');

function ordinal(day: number): string {
  if (day % 100 >= 11 && day % 100 <= 13) return `${day}th`;
  return `${day}${['th', 'st', 'nd', 'rd'][day % 10] ?? 'th'}`;
}

function list(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** A day-of-week field (not `*`) in words ("Monday", "Monday to Friday"), or null when unusual. */
function describeDays(field: string): string | null {
  if (field === '*' || field === '?') return null;
  if (field === '1-5') return 'weekday (Monday to Friday)';
  const parts = field.split(',');
  const names: string[] = [];
  for (const part of parts) {
    const range = /^(\d)-(\d)$/.exec(part);
    if (range) {
      names.push(`${DAYS[Number(range[1]) % 7]} to ${DAYS[Number(range[2]) % 7]}`);
    } else if (/^\d$/.test(part)) {
      names.push(DAYS[Number(part) % 7] ?? part);
    } else {
      return null;
    }
  }
  return list(names);
}

/**
 * A cron expression in plain English, for the common shapes; anything else reads "on a custom
 * timetable" and the next run times say the rest.
 */
export function describeCron(expression: string): string {
  const trimmed = expression.trim();
  const alias = ALIASES[trimmed.toLowerCase()];
  if (alias) return alias;
  let fields = trimmed.split(/\s+/);
  let seconds = '0';
  if (fields.length === 6) {
    seconds = fields[0] ?? '0';
    fields = fields.slice(1);
  }
  if (fields.length !== 5) return `on a custom timetable (${trimmed})`;
  const [minute = '', hour = '', dayOfMonth = '', month = '', dayOfWeek = ''] = fields;
  const custom = `on a custom timetable (${trimmed})`;
  if (seconds !== '0') {
    const every = /^\*\/(\d+)$/.exec(seconds);
    if (seconds === '*' && [minute, hour, dayOfMonth, month, dayOfWeek].every((f) => f === '*')) {
      return 'every second';
    }
    if (every && [minute, hour, dayOfMonth, month, dayOfWeek].every((f) => f === '*')) {
      return `every ${every[1]} seconds`;
    }
    return custom;
  }
  const anyDate = dayOfMonth === '*' && month === '*';
  // Sub-hourly.
  if (hour === '*' && anyDate && dayOfWeek === '*') {
    if (minute === '*') return 'every minute';
    const every = /^\*\/(\d+)$/.exec(minute);
    if (every) return every[1] === '1' ? 'every minute' : `every ${every[1]} minutes`;
    if (NUMBER.test(minute))
      return minute === '0' ? 'every hour, on the hour' : `every hour at minute ${minute}`;
    return custom;
  }
  const everyHours = /^\*\/(\d+)$/.exec(hour);
  if (everyHours && NUMBER.test(minute) && anyDate && dayOfWeek === '*') {
    return `every ${everyHours[1]} hours at minute ${minute}`;
  }
  if (!NUMBER.test(minute)) return custom;
  const hours = hour.split(',');
  if (!hours.every((h) => NUMBER.test(h))) return custom;
  const at = `at ${list(hours.map((h) => `${pad(h)}:${pad(minute)}`))}`;
  if (anyDate && dayOfWeek === '*') return `every day ${at}`;
  if (anyDate) {
    const days = describeDays(dayOfWeek);
    return days ? `every ${days} ${at}` : custom;
  }
  if (month === '*' && dayOfWeek === '*' && NUMBER.test(dayOfMonth)) {
    return `on the ${ordinal(Number(dayOfMonth))} of every month ${at}`;
  }
  if (NUMBER.test(month) && NUMBER.test(dayOfMonth) && dayOfWeek === '*') {
    return `every year on ${Number(dayOfMonth)} ${MONTHS[Number(month) - 1] ?? month} ${at}`;
  }
  return custom;
}

function describeSeconds(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (seconds % size === 0) {
      const count = seconds / size;
      return count === 1 ? `every ${name}` : `every ${count} ${name}s`;
    }
  }
  return seconds === 1 ? 'every second' : `every ${seconds} seconds`;
}

/** How a schedule's timing reads: cron in words, an interval, or a single time. */
export function describeTiming(timing: ScheduleTiming): string {
  switch (timing.kind) {
    case 'cron':
      return `${describeCron(timing.cronExpr ?? '')}, ${timing.timezone} time`;
    case 'interval':
      return describeSeconds(timing.intervalSeconds ?? 0);
    case 'once':
      return 'once';
  }
}

/** The next `count` slots after `now` (fewer for a `once` schedule, none when it has passed). */
export function upcomingSlots(timing: ScheduleTiming, now: Date, count: number): Date[] {
  const slots: Date[] = [];
  let next = firstSlotAfter(timing, now);
  while (next && slots.length < count) {
    slots.push(next);
    next = followingSlot(timing, next);
  }
  return slots;
}

export const ZPreviewTimingInput = z.object({
  kind: z.enum(['cron', 'interval', 'once']),
  cronExpr: z.string().max(200).nullish(),
  intervalSeconds: z.number().int().min(1).max(31_536_000).nullish(),
  runAt: ZDate.nullish(),
  timezone: z.string().min(1).max(64).default('UTC'),
  count: z.number().int().min(1).max(20).default(5),
});
export type PreviewTimingInput = z.input<typeof ZPreviewTimingInput>;

export interface TimingPreview {
  description: string;
  timezone: string;
  /** The next run times (instants; show them in `timezone`). */
  nextRuns: Date[];
}

/** `scheduler.preview`: a timing in words and its next run times, before or after saving it. */
export function previewTiming(rawInput: PreviewTimingInput, now: Date): TimingPreview {
  const input = validateInput(ZPreviewTimingInput, rawInput, 'Invalid timing');
  const timezone = canonicalTimeZone(input.timezone);
  if (!timezone) throw new ValidationError('Unknown time zone', { timezone: ['Not a time zone we know'] });
  if (input.kind === 'cron') {
    const problem = cronExpressionProblem(input.cronExpr ?? '');
    if (problem)
      throw new ValidationError('Invalid cron expression', { cronExpr: [`Cron expression ${problem}`] });
  }
  if (input.kind === 'interval' && !input.intervalSeconds) {
    throw new ValidationError('Interval required', { intervalSeconds: ['Give the interval in seconds'] });
  }
  if (input.kind === 'once' && !input.runAt) {
    throw new ValidationError('Time required', { runAt: ['Give the time to run at'] });
  }
  const timing: ScheduleTiming = {
    kind: input.kind,
    cronExpr: input.cronExpr ?? null,
    intervalSeconds: input.intervalSeconds ?? null,
    runAt: input.runAt ?? null,
    timezone,
  };
  return { description: describeTiming(timing), timezone, nextRuns: upcomingSlots(timing, now, input.count) };
}
