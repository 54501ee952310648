import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { decodeJobCursor, encodeJobCursor, parseJobSearch } from '../../src/ops/jobs.ts';

describe('ops.jobs search and cursor', () => {
  it('reads a job id, a JSON object fragment, or text', () => {
    expect(parseJobSearch(' 0B9F6A52-4D63-4C1E-9F1A-0C2F4B1E7D10 ')).toEqual({
      kind: 'id',
      id: '0b9f6a52-4d63-4c1e-9f1a-0c2f4b1e7d10',
    });
    expect(parseJobSearch('{"type":"OrgCreated","payload":{"slug":"acme"}}')).toEqual({
      kind: 'data',
      data: { type: 'OrgCreated', payload: { slug: 'acme' } },
    });
    // Not an object (or not JSON at all): searched as text.
    expect(parseJobSearch('{broken')).toEqual({ kind: 'text', text: '{broken' });
    expect(parseJobSearch('[1,2]')).toEqual({ kind: 'text', text: '[1,2]' });
    expect(parseJobSearch('acme 50%')).toEqual({ kind: 'text', text: 'acme 50%' });
    expect(() => parseJobSearch('   ')).toThrow(AppError);
  });

  it('round-trips a cursor and refuses a forged one with VALIDATION_ERROR', () => {
    const cursor = { createdOn: '2026-11-22 10:30:00.123456+00', id: '0b9f6a52-4d63-4c1e-9f1a-0c2f4b1e7d10' };
    expect(decodeJobCursor(encodeJobCursor(cursor))).toEqual(cursor);
    for (const forged of [
      'nope',
      Buffer.from('["x","y"]').toString('base64url'),
      Buffer.from('{}').toString('base64url'),
    ]) {
      expect(() => decodeJobCursor(forged)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }));
    }
  });
});
