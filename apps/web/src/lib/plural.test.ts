import { describe, expect, it } from 'vitest';
import { plural } from './plural.ts';

describe('plural', () => {
  it('says one thing in the singular', () => {
    expect(plural(1, 'message')).toBe('1 message');
  });

  it('says none and many in the plural', () => {
    expect(plural(0, 'message')).toBe('0 messages');
    expect(plural(2, 'message')).toBe('2 messages');
  });

  it('takes an irregular plural', () => {
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(5, 'entry', 'entries')).toBe('5 entries');
    expect(plural(2, 'person', 'people')).toBe('2 people');
  });

  it('groups the digits of large counts', () => {
    expect(plural(12_345, 'file')).toBe('12,345 files');
  });
});
