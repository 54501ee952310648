import pg from 'pg';

/**
 * Named (server-side prepared) statements for hot queries whose text never changes.
 *
 * PostgreSQL parses, analyses and plans an unnamed statement on every execution. A statement marked
 * with `preparedStatement(name, text)` is sent by the pools of `createPool` as the protocol-level
 * named statement `name`: each connection parses it once, and later executions only bind and execute
 * it (PostgreSQL keeps the plan per connection and re-plans it by itself after DDL on the tables it
 * reads). The marker is a leading SQL comment, so through any other client the text still runs, just
 * unnamed. Behind a transaction-pooling PgBouncer this needs `max_prepared_statements` > 0 (1.21+).
 */
const MARKER = '/* atrium:prepared ';

/**
 * `text` marked to run as the named statement `name` (lower-case letters, digits and `_`, starting with
 * a letter; one name per text: pg refuses a second text under a name a connection already parsed).
 * Keep the result in a module constant and execute it with parameters, e.g.
 * `trx.executeQuery(CompiledQuery.raw(STATEMENT, [a, b]))`.
 */
export function preparedStatement(name: string, text: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`invalid prepared statement name "${name}"`);
  return `${MARKER}${name} */ ${text}`;
}

/** The statement name a marked text carries, or undefined for any other text. */
export function preparedStatementName(text: string): string | undefined {
  if (!text.startsWith(MARKER)) return undefined;
  const end = text.indexOf(' */', MARKER.length);
  return end === -1 ? undefined : text.slice(MARKER.length, end);
}

/**
 * The pool's client: a marked text with parameters becomes a named statement. pg remembers per
 * connection which names it has parsed and refuses one name for two texts.
 */
export class PreparingClient extends pg.Client {
  // pg's query() has a dozen overloads; this forwards every one of them unchanged.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values)) {
      const name = preparedStatementName(config);
      if (name !== undefined) return super.query({ name, text: config, values }, callback);
    }
    return super.query(config, values, callback);
  }
}
