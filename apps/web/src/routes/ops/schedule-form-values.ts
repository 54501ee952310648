import type { FieldErrors } from '../../lib/errors.ts';
import type { RouterInputs, RouterOutputs } from '../../lib/trpc.ts';
import type { Schedule } from './ops-queries.ts';

/**
 * The schedule form's values, without React: what the inputs hold (strings, as typed), where they
 * start, and how they become the API's input. The API decides what a save changes (it compares with
 * the stored schedule), so the form sends every setting and never diffs values itself.
 */

export type ScheduleKind = Schedule['kind'];
export type MisfirePolicy = Schedule['misfire'];
export type ScheduleInput = RouterInputs['scheduler']['create'];
/** The API's defaults for settings a new schedule leaves out (`scheduler.defaults`). */
export type ScheduleDefaults = RouterOutputs['scheduler']['defaults'];

/** Every input as the operator typed it. */
export interface FormValues {
  name: string;
  handler: string;
  kind: ScheduleKind;
  cronExpr: string;
  timezone: string;
  intervalSeconds: string;
  /** `datetime-local` value, in the browser's time zone. */
  runAt: string;
  payload: string;
  maxAttempts: string;
  backoffSeconds: string;
  maxRuntimeSeconds: string;
  maxConsecutiveFailures: string;
  misfire: MisfirePolicy;
  maxCatchUp: string;
}

/** A new schedule's form: empty where the operator must say, the API's defaults elsewhere. */
export function newScheduleValues(defaults: ScheduleDefaults): FormValues {
  return {
    name: '',
    handler: '',
    kind: 'cron',
    cronExpr: '',
    timezone: defaults.timezone,
    intervalSeconds: '',
    runAt: '',
    payload: JSON.stringify(defaults.payload),
    maxAttempts: String(defaults.maxAttempts),
    backoffSeconds: String(defaults.backoffSeconds),
    maxRuntimeSeconds: String(defaults.maxRuntimeSeconds),
    maxConsecutiveFailures: String(defaults.maxConsecutiveFailures),
    misfire: defaults.misfire,
    maxCatchUp: String(defaults.maxCatchUp),
  };
}

/** An existing schedule's form. */
export function valuesOf(schedule: Schedule): FormValues {
  return {
    name: schedule.name,
    handler: schedule.handler,
    kind: schedule.kind,
    cronExpr: schedule.cronExpr ?? '',
    timezone: schedule.timezone,
    intervalSeconds: schedule.intervalSeconds === null ? '' : String(schedule.intervalSeconds),
    runAt: schedule.runAt ? toLocalInput(schedule.runAt) : '',
    payload: JSON.stringify(schedule.payload, null, 2),
    maxAttempts: String(schedule.maxAttempts),
    backoffSeconds: String(schedule.backoffSeconds),
    maxRuntimeSeconds: String(schedule.maxRuntimeSeconds),
    maxConsecutiveFailures: String(schedule.maxConsecutiveFailures),
    misfire: schedule.misfire,
    maxCatchUp: String(schedule.maxCatchUp),
  };
}

/** The form as the API's input, or the problems the browser can tell without asking. */
export function parseValues(values: FormValues): { input: ScheduleInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const integer = (field: keyof FormValues, raw: string): number | undefined => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value)) {
      errors[field] = ['Enter a whole number'];
      return undefined;
    }
    return value;
  };
  let payload: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(values.payload.trim() || '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      errors.payload = ['Must be a JSON object'];
    else payload = parsed as Record<string, unknown>;
  } catch (error) {
    errors.payload = [`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`];
  }
  let runAt: Date | null = null;
  if (values.kind === 'once') {
    runAt = values.runAt ? new Date(values.runAt) : null;
    if (!runAt || Number.isNaN(runAt.getTime())) errors.runAt = ['Pick a date and time'];
  }
  const intervalSeconds =
    values.kind === 'interval' ? integer('intervalSeconds', values.intervalSeconds) : null;
  const input: ScheduleInput = {
    name: values.name.trim(),
    handler: values.handler.trim(),
    kind: values.kind,
    cronExpr: values.kind === 'cron' ? values.cronExpr.trim() : null,
    intervalSeconds: intervalSeconds ?? null,
    runAt,
    timezone: values.timezone.trim() || 'UTC',
    payload,
    maxAttempts: integer('maxAttempts', values.maxAttempts) ?? 0,
    backoffSeconds: integer('backoffSeconds', values.backoffSeconds) ?? 0,
    maxRuntimeSeconds: integer('maxRuntimeSeconds', values.maxRuntimeSeconds) ?? 0,
    maxConsecutiveFailures: integer('maxConsecutiveFailures', values.maxConsecutiveFailures) ?? 0,
    misfire: values.misfire,
    maxCatchUp: integer('maxCatchUp', values.maxCatchUp) ?? 0,
  };
  return Object.keys(errors).length > 0 ? { errors } : { input };
}

/** A `datetime-local` value for a moment, in the browser's time zone (to the minute). */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
