import { useTestDatabase } from '@atrium/testkit';
import { CompiledQuery, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { preparedStatement, preparedStatementName } from '../src/index.ts';

describe('preparedStatement', () => {
  const t = useTestDatabase();

  it('marks a text with its statement name, and only valid names', () => {
    const text = preparedStatement('add_one', 'SELECT $1::int + 1 AS n');
    expect(preparedStatementName(text)).toBe('add_one');
    expect(preparedStatementName('SELECT 1')).toBeUndefined();
    expect(() => preparedStatement('Add-One', 'SELECT 1')).toThrow(TypeError);
  });

  it('runs as a named statement on the pools of createDb: parsed once per connection', async () => {
    const text = preparedStatement('add_one', 'SELECT $1::int + 1 AS n');
    const results = await t.db.connection().execute(async (db) => {
      const first = await db.executeQuery<{ n: number }>(CompiledQuery.raw(text, [1]));
      const second = await db.executeQuery<{ n: number }>(CompiledQuery.raw(text, [41]));
      const prepared = await sql<{ name: string; statement: string }>`
        SELECT name, statement FROM pg_prepared_statements`.execute(db);
      return { first: first.rows, second: second.rows, prepared: prepared.rows };
    });
    expect(results.first).toEqual([{ n: 2 }]);
    expect(results.second).toEqual([{ n: 42 }]);
    expect(results.prepared).toEqual([{ name: 'add_one', statement: text }]);
  });

  it('runs inside transactions like any statement, and a failure rolls back with them', async () => {
    const insert = preparedStatement(
      'insert_org',
      'INSERT INTO orgs (slug, name) VALUES ($1, $1) RETURNING slug',
    );
    await expect(
      t.db.transaction().execute(async (trx) => {
        await trx.executeQuery(CompiledQuery.raw(insert, ['prepared-a']));
        await trx.executeQuery(CompiledQuery.raw(insert, ['prepared-a']));
      }),
    ).rejects.toThrow(/duplicate key/);
    const orgs = await t.db.selectFrom('orgs').select('slug').where('slug', '=', 'prepared-a').execute();
    expect(orgs).toEqual([]);
  });
});
