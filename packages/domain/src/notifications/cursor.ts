import { z } from 'zod';
import { ValidationError } from '../errors.ts';

/**
 * Keyset cursors over (timestamp, id). The timestamp travels as PostgreSQL's own text form, so
 * microseconds survive the round trip (a JavaScript Date would drop them and skip or repeat rows).
 */
// timestamptz::text under the ISO DateStyle: `2026-11-29 09:00:00.123456+00`.
const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

export function decodeCursor(raw: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (
      typeof at === 'string' &&
      PG_TIMESTAMP.test(at) &&
      typeof id === 'string' &&
      z.uuid().safeParse(id).success
    ) {
      return { at, id };
    }
  } catch {
    // reported below
  }
  throw new ValidationError('Invalid cursor', { cursor: ['Invalid cursor'] });
}
