import type { Schedule, SchedulesTable } from '@atrium/db';
import type { Insertable } from 'kysely';
import { z } from 'zod';
import { canonicalJson } from '../audit/chain.ts';
import { ValidationError } from '../errors.ts';
import { ZDate } from '../platform/input-blocks.ts';
import { validationErrorFromZod } from '../platform/validate-input.ts';
import { SCHEDULE_HANDLER_NAME, type ScheduleHandlerRegistry } from './handlers.ts';
import { canonicalTimeZone, cronExpressionProblem } from './timing.ts';

/**
 * A schedule's settings (SPEC §8): what operators and built-in definitions state — name, handler,
 * timing, payload, retry and misfire policies — their rules, and how they map to the row.
 */

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

/**
 * Every setting of a schedule, declared once: its name, its handler and payload, its timing (the
 * fields of its kind apply, the others are dropped), its retry and misfire policies. Create fills in
 * SCHEDULE_DEFAULTS; update takes any subset.
 */
const settingFields = {
  name: ZName,
  handler: ZHandlerName,
  kind: z.enum(KINDS),
  cronExpr: z.string().trim().max(200).nullish(),
  intervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(366 * 86_400)
    .nullish(),
  runAt: ZDate.nullish(),
  timezone: z.string().trim().max(100),
  payload: ZPayload,
  maxAttempts: z.number().int().min(1).max(100),
  backoffSeconds: z.number().int().min(0).max(86_400),
  maxRuntimeSeconds: z.number().int().min(1).max(86_400),
  maxConsecutiveFailures: z.number().int().min(1).max(1_000),
  misfire: z.enum(MISFIRE_POLICIES),
  maxCatchUp: z.number().int().min(0).max(100),
};

export type ScheduleSettingName = keyof typeof settingFields;
type SettingValue<K extends ScheduleSettingName> = z.output<(typeof settingFields)[K]>;

/** What a new schedule gets for a setting it leaves out (the web form starts from these too). */
export const SCHEDULE_DEFAULTS = {
  timezone: 'UTC',
  payload: {},
  maxAttempts: 3,
  backoffSeconds: 30,
  maxRuntimeSeconds: 300,
  maxConsecutiveFailures: 5,
  misfire: 'run_once',
  maxCatchUp: 1,
} as const satisfies { [K in ScheduleSettingName]?: SettingValue<K> };

type Defaulted = keyof typeof SCHEDULE_DEFAULTS;
type WithDefaults<S> = { [K in keyof S]: K extends Defaulted ? z.ZodDefault<S[K] & z.ZodType> : S[K] };

/** The fields with their defaults attached (`.default()`), for the schema of a whole schedule. */
function withDefaults<S extends Record<ScheduleSettingName, z.ZodType>>(fields: S): WithDefaults<S> {
  const defaults: Partial<Record<string, unknown>> = SCHEDULE_DEFAULTS;
  return Object.fromEntries(
    Object.entries(fields).map(([name, field]) => [
      name,
      name in defaults ? field.default(defaults[name] as never) : field,
    ]),
  ) as WithDefaults<S>;
}

/** Every setting, defaults applied: what createSchedule stores and the engine runs. */
export type Settings = z.output<typeof ZCreateScheduleInput>;

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
  .object(withDefaults(settingFields))
  .superRefine((value, ctx) => checkSettings(value, ctx));
export type CreateScheduleInput = z.input<typeof ZCreateScheduleInput>;

/**
 * Any subset of the settings (the web form sends them all); the merged result is validated as a
 * whole, and only settings whose value really changes count as changed.
 */
export const ZUpdateScheduleInput = z.object(settingFields).partial().extend({ id: z.guid() });
export type UpdateScheduleInput = z.input<typeof ZUpdateScheduleInput>;

/** The column each setting is stored in. */
const SETTING_COLUMNS = {
  name: 'name',
  handler: 'handler',
  kind: 'kind',
  cronExpr: 'cron_expr',
  intervalSeconds: 'interval_seconds',
  runAt: 'run_at',
  timezone: 'timezone',
  payload: 'payload',
  maxAttempts: 'max_attempts',
  backoffSeconds: 'backoff_seconds',
  maxRuntimeSeconds: 'max_runtime_seconds',
  maxConsecutiveFailures: 'max_consecutive_failures',
  misfire: 'misfire',
  maxCatchUp: 'max_catch_up',
} as const satisfies Record<ScheduleSettingName, keyof Schedule>;

/** The settings whose change moves the schedule's slots (`next_run_at` is recomputed from now). */
const TIMING_SETTINGS: readonly ScheduleSettingName[] = [
  'kind',
  'cronExpr',
  'intervalSeconds',
  'runAt',
  'timezone',
];

export function movesSlots(changed: readonly ScheduleSettingName[]): boolean {
  return changed.some((setting) => TIMING_SETTINGS.includes(setting));
}

export type ScheduleValues = Omit<Insertable<SchedulesTable>, 'payload'> & {
  name: string;
  kind: Schedule['kind'];
  cron_expr: string | null;
  interval_seconds: number | null;
  run_at: Date | null;
  timezone: string;
  payload: string;
};

/** Settings → columns. Timing fields of other kinds are dropped; the zone is stored canonical. */
export function rowValues(settings: Settings): ScheduleValues {
  return {
    name: settings.name,
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

/** A stored schedule's settings. */
export function settingsOf(row: Schedule): Settings {
  return Object.fromEntries(
    Object.entries(SETTING_COLUMNS).map(([setting, column]) => [setting, row[column]]),
  ) as Settings;
}

/**
 * The settings whose stored value `next` would change, as the row holds them: a timing field of
 * another kind, a zone spelled differently or a payload with its keys in another order is no change.
 */
export function changedSettings(current: Schedule, next: ScheduleValues): ScheduleSettingName[] {
  const stored = (value: unknown) =>
    value instanceof Date
      ? value.getTime()
      : typeof value === 'object' && value !== null
        ? canonicalJson(value)
        : value;
  return (Object.keys(SETTING_COLUMNS) as ScheduleSettingName[]).filter((setting) => {
    const column = SETTING_COLUMNS[setting];
    const after = column === 'payload' ? JSON.parse(next.payload) : next[column];
    return stored(current[column]) !== stored(after);
  });
}

export function checkHandler(handlers: ScheduleHandlerRegistry, settings: Settings): void {
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
