import { describe, expect, it } from 'vitest';
import { shortId } from './format.ts';

describe('shortId', () => {
  it('tells apart outbox job ids, which share their first block (the event sequence number)', () => {
    const ids = [
      '00000000-0001-8c2d-9f1e-3a4b5c6d7e8f',
      '00000000-0002-8a11-b7c3-0d9e8f7a6b5c',
      '00000000-0003-8e4f-a2b1-c3d4e5f60718',
    ];
    const shown = ids.map(shortId);
    expect(new Set(shown).size).toBe(ids.length);
    expect(shown[0]).toBe('…5c6d7e8f');
  });

  it('tells apart UUIDv7 ids created in the same millisecond', () => {
    expect(shortId('019aa3f2-7c10-7a01-8f00-aaaabbbbcccc')).not.toBe(
      shortId('019aa3f2-7c10-7a02-9e11-ddddeeeeffff'),
    );
  });
});
