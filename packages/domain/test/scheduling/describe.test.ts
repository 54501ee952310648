import { describe, expect, it } from 'vitest';
import { describeCron, describeTiming, upcomingSlots } from '../../src/scheduling/describe.ts';

describe('describeCron', () => {
  it.each([
    ['30 2 * * *', 'every day at 02:30'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['0 * * * *', 'every hour, on the hour'],
    ['7 * * * *', 'every hour at minute 7'],
    ['0 */6 * * *', 'every 6 hours at minute 0'],
    ['0 9 * * 1-5', 'every weekday (Monday to Friday) at 09:00'],
    ['0 9 * * 1', 'every Monday at 09:00'],
    ['0 9,17 * * *', 'every day at 09:00 and 17:00'],
    ['0 3 1 * *', 'on the 1st of every month at 03:00'],
    ['0 0 25 12 *', 'every year on 25 December at 00:00'],
    ['@daily', 'every day at 00:00'],
    ['0 30 2 * * *', 'every day at 02:30'],
    ['5-10 2 * * *', 'on a custom timetable (5-10 2 * * *)'],
  ])('%s reads "%s"', (expression, words) => {
    expect(describeCron(expression)).toBe(words);
  });
});

describe('upcomingSlots', () => {
  it('lists the next runs of a cron schedule in its own time zone, across a DST change', () => {
    const timing = {
      kind: 'cron' as const,
      cronExpr: '30 2 * * *',
      intervalSeconds: null,
      runAt: null,
      timezone: 'America/New_York',
    };
    // 2026-11-01 is the end of daylight saving time in New York.
    const slots = upcomingSlots(timing, new Date('2026-10-30T12:00:00Z'), 3);
    expect(slots.map((d) => d.toISOString())).toEqual([
      '2026-10-31T06:30:00.000Z',
      '2026-11-01T07:30:00.000Z',
      '2026-11-02T07:30:00.000Z',
    ]);
    expect(describeTiming(timing)).toBe('every day at 02:30, America/New_York time');
  });

  it('gives a once schedule its single future run, and none once it has passed', () => {
    const runAt = new Date('2026-12-24T18:00:00Z');
    const timing = { kind: 'once' as const, cronExpr: null, intervalSeconds: null, runAt, timezone: 'UTC' };
    expect(upcomingSlots(timing, new Date('2026-12-01T00:00:00Z'), 5)).toEqual([runAt]);
    expect(upcomingSlots(timing, new Date('2026-12-25T00:00:00Z'), 5)).toEqual([]);
  });
});
