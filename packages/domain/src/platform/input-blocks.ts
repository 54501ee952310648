import { z } from 'zod';
import { ValidationError } from '../errors.ts';

/**
 * Building blocks for input schemas that PostgreSQL would otherwise refuse halfway through a request
 * (SPEC §10: bad input never produces a 500). Every procedure's schema uses them for dates and
 * cursors; NUL bytes and lone surrogates are refused for every procedure at once by the API's root
 * middleware (`findUnstorableText` below), because no text column or JSON value may hold them.
 */

/**
 * Dates clients may send: years 1000–9999. PostgreSQL's own range is 4713 BC – 294276 AD, and a
 * JavaScript Date reaches 271821 BC; anything outside four-digit years is a mistake or an attack.
 */
export const MIN_INPUT_DATE = new Date('1000-01-01T00:00:00.000Z');
export const MAX_INPUT_DATE = new Date('9999-12-31T23:59:59.999Z');

/** A date from a Date, an ISO string or epoch milliseconds, within MIN/MAX_INPUT_DATE. */
export const ZDate = z.coerce
  .date({ error: 'Enter a valid date' })
  .min(MIN_INPUT_DATE, { error: 'Enter a date after the year 1000' })
  .max(MAX_INPUT_DATE, { error: 'Enter a date before the year 10000' });

/**
 * A timestamp as text, the form keyset cursors carry so microseconds survive the round trip: PostgreSQL's
 * `timestamptz::text` (`2026-11-29 09:00:00.123456+00`) or ISO 8601 (`2026-11-29T09:00:00.123Z`).
 * Four-digit years keep it inside PostgreSQL's range.
 */
export const ZTimestampText = z
  .string()
  .max(40)
  .regex(
    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[ T]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2}){0,2})$/,
  );

/** A bigint sequence number as text, positive and below 2^63 (18 digits always are). */
export const ZSeqText = z.string().regex(/^[1-9][0-9]{0,17}$/, { error: 'Invalid cursor' });

export interface CursorCodec<T> {
  encode(value: T): string;
  /** The value, or 400 VALIDATION_ERROR naming the `cursor` field. */
  decode(raw: string): T;
}

const INVALID_CURSOR = new ValidationError('Invalid cursor', {
  cursor: ['This page link is no longer valid; start from the first page'],
});

/**
 * An opaque cursor: the value as base64url JSON, checked against `schema` on the way back in, so a
 * forged, truncated or stale cursor answers 400 instead of reaching SQL.
 */
export function cursorCodec<S extends z.ZodType>(schema: S): CursorCodec<z.output<S>> {
  return {
    encode: (value) => Buffer.from(JSON.stringify(value)).toString('base64url'),
    decode(raw) {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
      } catch {
        throw INVALID_CURSOR;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw INVALID_CURSOR;
      return parsed.data;
    },
  };
}

/**
 * The common keyset cursor over `(timestamp, id)`: the page's last row, its timestamp as text so
 * microseconds survive (a JavaScript Date would drop them and skip or repeat rows).
 */
const timeIdCodec = cursorCodec(z.tuple([ZTimestampText, z.uuid()]));

export function encodeTimeIdCursor(at: string, id: string): string {
  return timeIdCodec.encode([at, id]);
}

export function decodeTimeIdCursor(raw: string): { at: string; id: string } {
  const [at, id] = timeIdCodec.decode(raw);
  return { at, id };
}

/** The input field of any cursor: opaque, bounded; its content is checked when it is decoded. */
export const ZCursorField = z.string().min(1).max(500);

/**
 * Where text PostgreSQL cannot store sits in a request input (strings and object keys, at any depth),
 * as a field path, or null: a NUL byte (text and jsonb cannot hold U+0000) or a lone UTF-16
 * surrogate (not Unicode; the driver would mangle it, jsonb refuses it). Such input is refused before
 * it runs.
 */
export function findUnstorableText(value: unknown, path: string[] = [], depth = 0): string | null {
  if (typeof value === 'string') return isStorable(value) ? null : path.join('.') || '_';
  if (depth > 64 || typeof value !== 'object' || value === null) return null;
  for (const [key, child] of Object.entries(value)) {
    if (!isStorable(key)) return [...path, '(key)'].join('.');
    const found = findUnstorableText(child, [...path, key], depth + 1);
    if (found !== null) return found;
  }
  return null;
}

function isStorable(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}
