import { describe, expect, it } from 'vitest';
import type { Schedule } from './ops-queries.ts';
import {
  type FormValues,
  newScheduleValues,
  parseValues,
  type ScheduleDefaults,
  toLocalInput,
  valuesOf,
} from './schedule-form-values.ts';

const DEFAULTS: ScheduleDefaults = {
  timezone: 'UTC',
  payload: {},
  maxAttempts: 3,
  backoffSeconds: 30,
  maxRuntimeSeconds: 300,
  maxConsecutiveFailures: 5,
  misfire: 'run_once',
  maxCatchUp: 1,
};

const STORED: Schedule = {
  id: '00000000-0000-4000-8000-000000000001',
  name: 'nightly-report',
  handler: 'audit.integrity-report',
  kind: 'interval',
  cronExpr: null,
  intervalSeconds: 900,
  runAt: null,
  timezone: 'Europe/Berlin',
  payload: { days: 7, nested: { deep: true } },
  status: 'active',
  maxAttempts: 4,
  backoffSeconds: 60,
  maxRuntimeSeconds: 120,
  maxConsecutiveFailures: 2,
  consecutiveFailures: 0,
  quarantinedAt: null,
  misfire: 'catch_up',
  maxCatchUp: 3,
  nextRunAt: new Date('2026-06-01T09:15:00.000Z'),
  lastRunAt: null,
  retryAt: null,
  retryAttempt: null,
  pendingTriggerAt: null,
  catchUpRemaining: 0,
  builtin: false,
  createdAt: new Date('2026-06-01T09:00:00.000Z'),
  updatedAt: new Date('2026-06-01T09:00:00.000Z'),
};

const inputOf = (values: FormValues) => {
  const parsed = parseValues(values);
  if (!('input' in parsed)) throw new Error(`unexpected errors: ${JSON.stringify(parsed.errors)}`);
  return parsed.input;
};
const errorsOf = (values: FormValues) => {
  const parsed = parseValues(values);
  if (!('errors' in parsed)) throw new Error('expected errors');
  return parsed.errors;
};

describe('schedule form values', () => {
  it('a new schedule starts from the API’s defaults and asks for the rest', () => {
    const values = newScheduleValues(DEFAULTS);
    expect(values).toMatchObject({ name: '', handler: '', kind: 'cron', cronExpr: '', payload: '{}' });
    expect(inputOf({ ...values, name: 'hourly', handler: 'x.y', cronExpr: ' 7 * * * * ' })).toEqual({
      name: 'hourly',
      handler: 'x.y',
      kind: 'cron',
      cronExpr: '7 * * * *',
      intervalSeconds: null,
      runAt: null,
      timezone: 'UTC',
      payload: {},
      maxAttempts: 3,
      backoffSeconds: 30,
      maxRuntimeSeconds: 300,
      maxConsecutiveFailures: 5,
      misfire: 'run_once',
      maxCatchUp: 1,
    });
  });

  it('an edit starts from the stored schedule and sends every setting back unchanged', () => {
    expect(inputOf(valuesOf(STORED))).toEqual({
      name: STORED.name,
      handler: STORED.handler,
      kind: 'interval',
      cronExpr: null,
      intervalSeconds: 900,
      runAt: null,
      timezone: 'Europe/Berlin',
      payload: { days: 7, nested: { deep: true } },
      maxAttempts: 4,
      backoffSeconds: 60,
      maxRuntimeSeconds: 120,
      maxConsecutiveFailures: 2,
      misfire: 'catch_up',
      maxCatchUp: 3,
    });
  });

  it('sends only the timing fields of the chosen kind', () => {
    const values = { ...valuesOf(STORED), cronExpr: '0 3 * * *', runAt: '2026-07-01T10:00' };
    expect(inputOf(values)).toMatchObject({ intervalSeconds: 900, cronExpr: null, runAt: null });
    expect(inputOf({ ...values, kind: 'cron' })).toMatchObject({
      cronExpr: '0 3 * * *',
      intervalSeconds: null,
      runAt: null,
    });
    const once = inputOf({ ...values, kind: 'once' });
    expect(once).toMatchObject({ cronExpr: null, intervalSeconds: null });
    expect(once.runAt).toEqual(new Date('2026-07-01T10:00'));
  });

  it('tells what the browser can check without asking the API', () => {
    const values = valuesOf(STORED);
    expect(errorsOf({ ...values, maxAttempts: '2.5', intervalSeconds: '' })).toEqual({
      maxAttempts: ['Enter a whole number'],
      intervalSeconds: ['Enter a whole number'],
    });
    expect(errorsOf({ ...values, payload: '[1, 2]' })).toEqual({ payload: ['Must be a JSON object'] });
    expect(errorsOf({ ...values, payload: '{"a":' }).payload?.[0]).toMatch(/^Not valid JSON: /);
    expect(errorsOf({ ...values, kind: 'once', runAt: '' })).toEqual({ runAt: ['Pick a date and time'] });
    // An empty payload is an empty object; an empty zone the API's default zone.
    expect(inputOf({ ...values, payload: '  ', timezone: ' ' })).toMatchObject({
      payload: {},
      timezone: 'UTC',
    });
  });

  it('shows a moment in the browser’s time zone, to the minute, as datetime-local wants it', () => {
    const moment = new Date(2026, 0, 5, 8, 7, 42);
    expect(toLocalInput(moment)).toBe('2026-01-05T08:07');
    expect(new Date(toLocalInput(moment))).toEqual(new Date(2026, 0, 5, 8, 7));
  });
});
