import type { Database } from '@atrium/db';
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { z } from 'zod';
import { cursorCodec, ZCursorField, ZDate, ZSeqText, ZTimestampText } from '../platform/input-blocks.ts';
import { escapeLike } from '../platform/keyset.ts';
import { validateInput } from '../platform/validate-input.ts';
import { LEVEL_VALUE, LOG_LEVELS, type LogLevel, levelName } from './levels.ts';

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
  const position = cursor ? queryCursor.decode(cursor) : null;

  /** The org, the time range and the cursor: what the (org_id, at, id) btree serves in order. */
  const window = <QB extends SelectQueryBuilder<Database, 'log_events', object>>(query: QB): QB => {
    let out = (
      scope.orgId === null ? query.where('org_id', 'is', null) : query.where('org_id', '=', scope.orgId)
    ) as QB;
    if (from) out = out.where('at', '>=', from) as QB;
    if (to) out = out.where('at', '<', to) as QB;
    if (position)
      out = out.where(sql<boolean>`(at, id) < (${position[0]}::timestamptz, ${position[1]}::bigint)`) as QB;
    return out;
  };
  const page = (
    executor: Kysely<Database>,
    extra?: (
      query: SelectQueryBuilder<Database, 'log_events', object>,
    ) => SelectQueryBuilder<Database, 'log_events', object>,
  ) => {
    let query = window(executor.selectFrom('log_events'));
    if (level) query = query.where('level', '>=', LEVEL_VALUE[level]);
    if (source) {
      query = query.where((eb) =>
        eb.or([eb('source', '=', source), eb('source', 'like', `${escapeLike(source)}.%`)]),
      );
    }
    if (q) query = query.where(sql<boolean>`search @@ websearch_to_tsquery('simple', ${q})`);
    if (extra) query = extra(query);
    return query
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
      .limit(limit + 1)
      .execute();
  };

  let rows: Awaited<ReturnType<typeof page>>;
  if (!q) {
    rows = await page(db);
  } else {
    // Words: read the newest PROBE_ROWS events of the window in time order first (common words fill
    // the page there at once); only when they do not, look further back through the words' GIN
    // index (rare words), with plain index scans off so the planner cannot walk the whole org in time
    // order hoping to meet them (docs/logging.md).
    const boundary = await window(db.selectFrom('log_events'))
      .select(['id', (eb) => eb.cast<string>('at', 'text').as('at_text')])
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .offset(PROBE_ROWS - 1)
      .limit(1)
      .executeTakeFirst();
    if (!boundary) {
      rows = await page(db);
    } else {
      const newer = await page(db, (query) =>
        query
          .where('at', '>=', sql<Date>`${boundary.at_text}::timestamptz`)
          .where(sql<boolean>`(at, id) >= (${boundary.at_text}::timestamptz, ${boundary.id}::bigint)`),
      );
      rows = newer;
      if (newer.length <= limit) {
        const older = await db.transaction().execute(async (trx) => {
          await sql`SET LOCAL enable_indexscan = off`.execute(trx);
          return page(trx, (query) =>
            query
              .where('at', '<=', sql<Date>`${boundary.at_text}::timestamptz`)
              .where(sql<boolean>`(at, id) < (${boundary.at_text}::timestamptz, ${boundary.id}::bigint)`),
          );
        });
        rows = [...newer, ...older].slice(0, limit + 1);
      }
    }
  }
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toLogEventDto),
    nextCursor: rows.length > limit && last ? queryCursor.encode([last.at_text, String(last.id)]) : null,
  };
}

/** Newest events of a window read in time order before a word search falls back to the GIN index. */
const PROBE_ROWS = 5_000;

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
