import { describe, expect, it } from 'vitest';
import { parseIso8601Duration } from '../../src/imports/iso8601-duration.ts';

describe('parseIso8601Duration', () => {
  it.each([
    ['PT1H2M3S', 3_723],
    ['PT3M33S', 213],
    ['PT19S', 19],
    ['PT15M', 900],
    ['PT10H0M1S', 36_001],
    ['P1DT2H', 93_600],
    ['P0DT10H0M1S', 36_001],
    ['P2D', 172_800],
    ['P1W', 604_800],
    ['PT1.5S', 2],
    ['PT0,4S', 0],
    ['pt2m', 120],
    ['P0D', 0],
    ['PT0S', 0],
  ])('%s → %i s', (text, seconds) => {
    expect(parseIso8601Duration(text)).toBe(seconds);
  });

  it.each([
    ['', 'empty'],
    ['P', 'no component'],
    ['PT', 'no time component'],
    ['P1DT', 'a dangling T'],
    ['1H2M', 'no P'],
    ['PT1H2M3', 'a number without unit'],
    ['PT1S2M', 'components out of order'],
    ['P1Y', 'years (no fixed length)'],
    ['P1M', 'months (no fixed length)'],
    ['PT-5S', 'a negative value'],
    ['P99999D', 'more than ten years'],
    [`PT${'9'.repeat(80)}S`, 'an absurdly long text'],
    ['3:33', 'a clock time'],
  ])('%j (%s) → null', (text) => {
    expect(parseIso8601Duration(text)).toBeNull();
  });
});
