import { describe, expect, it } from 'vitest';
import { formatDateTimeWithZone } from './time-format.ts';

describe('formatDateTimeWithZone', () => {
  it('names the zone the time is in', () => {
    const moment = new Date('2026-12-03T14:05:00Z');
    const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
      .formatToParts(moment)
      .find((part) => part.type === 'timeZoneName')?.value;
    expect(zone).toBeTruthy();
    expect(formatDateTimeWithZone(moment)).toContain(zone);
    expect(formatDateTimeWithZone(moment)).toContain('2026');
  });
});
