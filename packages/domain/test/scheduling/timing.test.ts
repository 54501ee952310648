import { describe, expect, it } from 'vitest';
import {
  canonicalTimeZone,
  cronExpressionProblem,
  dueSlots,
  firstSlotAfter,
  followingSlot,
  retryDelayMs,
  type ScheduleTiming,
} from '../../src/scheduling/timing.ts';

const cron = (cronExpr: string, timezone = 'UTC'): ScheduleTiming => ({
  kind: 'cron',
  cronExpr,
  intervalSeconds: null,
  runAt: null,
  timezone,
});
const at = (iso: string) => new Date(iso);
const slots = (timing: ScheduleTiming, from: string, count: number): string[] => {
  const out: string[] = [];
  let slot: Date | null = firstSlotAfter(timing, at(from));
  while (slot && out.length < count) {
    out.push(slot.toISOString());
    slot = followingSlot(timing, slot);
  }
  return out;
};

describe('cron slots in a time zone', () => {
  it('keeps 09:00 local across the spring-forward change (Europe/Berlin, 29 March 2026)', () => {
    expect(slots(cron('0 9 * * *', 'Europe/Berlin'), '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T08:00:00.000Z', // CET, UTC+1
      '2026-03-29T07:00:00.000Z', // CEST, UTC+2 from this morning on
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it('keeps 09:00 local across the fall-back change (America/New_York, 1 November 2026)', () => {
    expect(slots(cron('0 9 * * *', 'America/New_York'), '2026-10-30T20:00:00Z', 3)).toEqual([
      '2026-10-31T13:00:00.000Z', // EDT, UTC-4
      '2026-11-01T14:00:00.000Z', // EST, UTC-5
      '2026-11-02T14:00:00.000Z',
    ]);
  });

  it('fires a local time that does not exist (02:30 on spring-forward day) once, shifted by the gap', () => {
    expect(slots(cron('30 2 * * *', 'Europe/Berlin'), '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T01:30:00.000Z', // 03:30 CEST: 02:30 was skipped by the clocks
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('fires a local time that happens twice (02:30 on fall-back day) once', () => {
    expect(slots(cron('30 2 * * *', 'Europe/Berlin'), '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST); the second (01:30Z, CET) does not fire
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('hourly slots stay one real hour apart through the repeated hour', () => {
    expect(slots(cron('0 * * * *', 'Europe/Berlin'), '2026-10-24T23:30:00Z', 4)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z',
    ]);
  });

  it('supports a seconds field', () => {
    expect(slots(cron('*/20 * * * * *'), '2026-01-01T00:00:05Z', 3)).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
  });
});

describe('validation', () => {
  it('accepts 5 and 6 fields and aliases; names what is wrong otherwise', () => {
    expect(cronExpressionProblem('*/5 * * * *')).toBeNull();
    expect(cronExpressionProblem('0 */5 * * * *')).toBeNull();
    expect(cronExpressionProblem('@daily')).toBeNull();
    expect(cronExpressionProblem('* * * *')).toMatch(/5 fields/);
    expect(cronExpressionProblem('61 * * * *')).toMatch(/61/);
    expect(cronExpressionProblem('0 0 30 2 *')).not.toBeNull();
    expect(cronExpressionProblem('@sometimes')).toMatch(/alias/);
    expect(cronExpressionProblem('')).toMatch(/required/);
  });

  it('knows IANA zones, canonicalises their spelling, refuses offsets and inventions', () => {
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeNull();
    expect(canonicalTimeZone('+03:00')).toBeNull();
    expect(canonicalTimeZone('')).toBeNull();
  });
});

describe('interval and once', () => {
  const every10: ScheduleTiming = {
    kind: 'interval',
    cronExpr: null,
    intervalSeconds: 10,
    runAt: null,
    timezone: 'UTC',
  };

  it('intervals count from the previous slot, not from when a run happened', () => {
    expect(followingSlot(every10, at('2026-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2026-01-01T00:00:10.000Z',
    );
    expect(firstSlotAfter(every10, at('2026-01-01T00:00:03Z'))?.toISOString()).toBe(
      '2026-01-01T00:00:13.000Z',
    );
  });

  it('a once schedule has one slot', () => {
    const once: ScheduleTiming = {
      ...every10,
      kind: 'once',
      intervalSeconds: null,
      runAt: at('2026-05-01T10:00:00Z'),
    };
    expect(firstSlotAfter(once, at('2026-04-01T00:00:00Z'))?.toISOString()).toBe('2026-05-01T10:00:00.000Z');
    expect(firstSlotAfter(once, at('2026-06-01T00:00:00Z'))).toBeNull();
    expect(followingSlot(once, at('2026-05-01T10:00:00Z'))).toBeNull();
  });

  it('lists and counts missed slots', () => {
    const due = dueSlots(every10, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:05Z'), 3);
    expect(due.count).toBe(7);
    expect(due.first.map((d) => d.toISOString())).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:20.000Z',
    ]);
    expect(due.latest.toISOString()).toBe('2026-01-01T00:01:00.000Z');

    const hourly = dueSlots(cron('0 * * * *'), at('2026-01-01T00:00:00Z'), at('2026-01-01T05:30:00Z'), 2);
    expect(hourly.count).toBe(6);
    expect(hourly.latest.toISOString()).toBe('2026-01-01T05:00:00.000Z');

    const lots = dueSlots(cron('* * * * * *'), at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), 1);
    expect(lots.capped).toBe(true);
    expect(lots.latest.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
});

describe('retry backoff', () => {
  it('doubles per attempt with ±20 % jitter', () => {
    expect(retryDelayMs(10, 1, () => 0.5)).toBe(10_000);
    expect(retryDelayMs(10, 2, () => 0.5)).toBe(20_000);
    expect(retryDelayMs(10, 3, () => 0.5)).toBe(40_000);
    expect(retryDelayMs(10, 1, () => 0)).toBe(8_000);
    expect(retryDelayMs(10, 1, () => 1)).toBe(12_000);
    expect(retryDelayMs(3600, 30, () => 0.5)).toBe(24 * 60 * 60 * 1000);
  });
});
