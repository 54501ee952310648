import { useTestDatabase } from '@atrium/testkit';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb } from '../src/index.ts';

describe('createDb pools', () => {
  const t = useTestDatabase();

  it('survive the server ending a checked-out session between statements: the holder fails, the pool goes on', async () => {
    const handle = createDb({ connectionString: t.url, poolSize: 2 });
    try {
      // Inside a transaction the client is checked out; between its statements no query is active, so
      // the server's FATAL arrives as an 'error' event on the client. Without a listener there, Node
      // throws it as an uncaught exception (the API died this way when PostgreSQL restarted).
      await expect(
        handle.db.transaction().execute(async (trx) => {
          const own = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
          await sql`SELECT pg_terminate_backend(${own.rows[0]?.pid})`.execute(t.db);
          await new Promise((resolve) => setTimeout(resolve, 300));
          await sql`SELECT 1`.execute(trx);
        }),
      ).rejects.toThrow();
      // The broken connection is dropped on release; the next caller gets a working one.
      const after = await sql<{ one: number }>`SELECT 1 AS one`.execute(handle.db);
      expect(after.rows).toEqual([{ one: 1 }]);
    } finally {
      await handle.destroy();
    }
  });
});
