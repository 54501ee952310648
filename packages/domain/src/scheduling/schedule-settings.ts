import type { Schedule, SchedulesTable } from '@atrium/db';
import type { Insertable } from 'kysely';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
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

export type Settings = {
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

/** The settings whose change moves the schedule's slots (`next_run_at` is recomputed from now). */
export const TIMING_FIELDS = ['kind', 'cronExpr', 'intervalSeconds', 'runAt', 'timezone'] as const;

export type ScheduleValues = Omit<Insertable<SchedulesTable>, 'name' | 'payload'> & {
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

export function settingsOf(row: Schedule): Settings {
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
