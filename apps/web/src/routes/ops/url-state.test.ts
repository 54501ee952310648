import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { changedParams, MAX_SELECTION, parseSelection, searchWith } from './url-state.ts';

describe('selection in the address', () => {
  it('keeps valid job ids only, lower-cased, at most MAX_SELECTION', () => {
    const id = randomUUID();
    expect([...parseSelection(`${id.toUpperCase()},not-an-id,,${id}`)]).toEqual([id]);
    const many = Array.from({ length: MAX_SELECTION + 20 }, () => randomUUID());
    expect(parseSelection(many.join(',')).size).toBe(MAX_SELECTION);
    expect(parseSelection('').size).toBe(0);
  });
});

describe('changing parameters', () => {
  it('sets, repeats and removes parameters without touching the others', () => {
    const params = new URLSearchParams('state=failed&after=a&sel=x&q=mail');
    expect(changedParams(params, { after: ['a', 'b'], sel: undefined }).toString()).toBe(
      'state=failed&q=mail&after=a&after=b',
    );
    expect(searchWith(params, { state: undefined, after: undefined, sel: undefined, q: undefined })).toBe('');
    expect(searchWith(params, { state: 'retry' })).toBe('?after=a&sel=x&q=mail&state=retry');
  });
});
