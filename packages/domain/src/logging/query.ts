import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { cursorCodec, ZCursorField, ZDate, ZSeqText, ZTimestampText } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';
import { LEVEL_VALUE, LOG_LEVELS, type LogLevel, levelName } from './levels.ts';
import { escapeLike } from './rules.ts';

/**
 * `logs.query` (SPEC §7): an org's events newest first, filtered by minimum level, source (the source
 * or anything under it), full-text words of the message (`q`, web-search syntax: words, "phrases",
 * -excluded) and a time range, paged by an opaque (at, id) cursor. Served by the (org_id, at, id)
 * btree and the GIN over the message's words (docs/logging.md).
 */
export const ZLogQueryInput = z.object({
  level: z.enum(LOG_LEVELS).optional(),
  source: z
    .string()
    .trim()
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, { message: 'Use letters, digits and . _ : / -' })
    .optional(),
  q: z.string().trim().max(200).optional(),
  from: ZDate.optional(),
  to: ZDate.optional(),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** Operators only: the platform's own events that belong to no org. */
  platform: z.boolean().optional(),
});
export type LogQueryInput = z.input<typeof ZLogQueryInput>;

export interface LogEventDto {
  id: string;
  at: Date;
  receivedAt: Date;
  level: LogLevel;
  source: string;
  message: string;
  attributes: Record<string, unknown>;
  requestId: string | null;
}

const queryCursor = cursorCodec(z.tuple([ZTimestampText, ZSeqText]));

/** `scope`: the org whose events these are, or null for the platform's own (operators). */
export async function queryLogs(
  db: Kysely<Database>,
  scope: { orgId: string | null },
  input: LogQueryInput,
): Promise<{ items: LogEventDto[]; nextCursor: string | null }> {
  const { level, source, q, from, to, cursor, limit } = validateInput(ZLogQueryInput, input);
  let query = db
    .selectFrom('log_events')
    .select([
      'id',
      'at',
      'received_at',
      'level',
      'source',
      'message',
      'attributes',
      'request_id',
      (eb) => eb.cast<string>('at', 'text').as('at_text'),
    ])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  query = scope.orgId === null ? query.where('org_id', 'is', null) : query.where('org_id', '=', scope.orgId);
  if (level) query = query.where('level', '>=', LEVEL_VALUE[level]);
  if (source) {
    query = query.where((eb) =>
      eb.or([eb('source', '=', source), eb('source', 'like', `${escapeLike(source)}.%`)]),
    );
  }
  if (q) query = query.where(sql<boolean>`search @@ websearch_to_tsquery('simple', ${q})`);
  if (from) query = query.where('at', '>=', from);
  if (to) query = query.where('at', '<', to);
  if (cursor) {
    const [at, id] = queryCursor.decode(cursor);
    query = query.where(sql<boolean>`(at, id) < (${at}::timestamptz, ${id}::bigint)`);
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toLogEventDto),
    nextCursor: rows.length > limit && last ? queryCursor.encode([last.at_text, String(last.id)]) : null,
  };
}

export function toLogEventDto(row: {
  id: string;
  at: Date;
  received_at: Date;
  level: number;
  source: string;
  message: string;
  attributes: Record<string, unknown>;
  request_id: string | null;
}): LogEventDto {
  return {
    id: String(row.id),
    at: row.at,
    receivedAt: row.received_at,
    level: levelName(row.level),
    source: row.source,
    message: row.message,
    attributes: row.attributes,
    requestId: row.request_id,
  };
}
