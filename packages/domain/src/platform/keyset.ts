/**
 * Keyset paging and text search, the way every list of the domain does them: a query asks for
 * `limit + 1` rows in a total order; the extra row only says that there is a next page, whose cursor
 * is the last row shown.
 */

/** A page out of `limit + 1` fetched rows: the first `limit` as views, and the next page's cursor. */
export function keysetPage<Row, View>(
  rows: readonly Row[],
  limit: number,
  view: (row: Row) => View,
  cursorOf: (last: Row) => string,
): { items: View[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(view),
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  };
}

/** `value` with LIKE's own wildcards escaped (PostgreSQL's default escape character is `\`). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** An ILIKE pattern matching text that contains `q` literally. */
export function containsPattern(q: string): string {
  return `%${escapeLike(q)}%`;
}
