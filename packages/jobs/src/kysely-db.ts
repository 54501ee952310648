import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Db } from 'pg-boss';

/**
 * A pg-boss database adapter over a Kysely transaction: pass it as `{ db }` to `insert`/`send` and
 * the jobs are written by the caller's transaction — they exist if and only if it commits. pg-boss's
 * own statements arrive as SQL text with positional parameters, which `CompiledQuery.raw` runs as is.
 */
export function kyselyJobsDb<DB>(trx: Transaction<DB> | Kysely<DB>): Db {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values));
      return { rows: [...result.rows] };
    },
  };
}
