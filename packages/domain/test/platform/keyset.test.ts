import { describe, expect, it } from 'vitest';
import { containsPattern, escapeLike, keysetPage } from '../../src/platform/keyset.ts';

describe('keysetPage', () => {
  const cursorOf = (n: number) => `after-${n}`;
  it('shows the first limit rows and points the cursor at the last shown when there are more', () => {
    expect(keysetPage([1, 2, 3], 2, (n) => n * 10, cursorOf)).toEqual({
      items: [10, 20],
      nextCursor: 'after-2',
    });
  });
  it('has no next page when the extra row is missing', () => {
    expect(keysetPage([1, 2], 2, (n) => n, cursorOf)).toEqual({ items: [1, 2], nextCursor: null });
    expect(keysetPage([], 5, (n: number) => n, cursorOf)).toEqual({ items: [], nextCursor: null });
  });
});

describe('LIKE patterns', () => {
  it('escapes wildcards and the escape character so they match literally', () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
    expect(containsPattern('a_b')).toBe('%a\\_b%');
  });
});
