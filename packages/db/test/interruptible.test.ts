import { useTestDatabase } from '@atrium/testkit';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInterruptibleDb, createPool, WorkInterruptedError } from '../src/index.ts';

describe('createInterruptibleDb', () => {
  const t = useTestDatabase();
  let pool: pg.Pool;
  let holder: pg.Client;
  beforeAll(async () => {
    pool = createPool({ connectionString: t.url, poolSize: 2, applicationName: 'interruptible-test' });
    await sql`CREATE TABLE locked (id int PRIMARY KEY)`.execute(t.db);
    await sql`INSERT INTO locked VALUES (1)`.execute(t.db);
    holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM locked WHERE id = 1 FOR UPDATE');
  });
  afterAll(async () => {
    await holder.end();
    await pool.end();
  });

  const busy = () => pool.totalCount - pool.idleCount;
  const later = (minutes = 10) => Date.now() + minutes * 60_000;

  it('interrupt() cancels a statement waiting on a lock, gives its connection back and refuses new ones', async () => {
    const work = createInterruptibleDb({ pool, control: t.db, statementDeadline: later() });
    // Settled into a value at once: the cancel may land before anyone awaits it.
    const blocked = sql`DELETE FROM locked WHERE id = 1`.execute(work.db).then(
      () => null,
      (error: unknown) => error,
    );
    await expect.poll(() => work.held()).toBe(1);
    await work.interrupt();
    expect(await blocked).toMatchObject({ code: '57014' }); // query_canceled
    expect(work.held()).toBe(0);
    expect(busy()).toBe(0);
    await expect(sql`SELECT 1`.execute(work.db)).rejects.toBeInstanceOf(WorkInterruptedError);
    // The lock holder's row is untouched, and other work on the same pool runs on.
    const other = createInterruptibleDb({ pool, control: t.db, statementDeadline: later() });
    expect((await sql<{ n: number }>`SELECT 1 AS n`.execute(other.db)).rows).toEqual([{ n: 1 }]);
  });

  it('terminate() ends a session left idle in a transaction and frees its pool slot at once', async () => {
    const work = createInterruptibleDb({ pool, control: t.db, statementDeadline: later() });
    let pid = 0;
    // Work that ignores interruptions: it sits in its transaction, awaiting something else.
    const stuck = work.db.transaction().execute(async (trx) => {
      pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid;
      await new Promise(() => {});
    });
    stuck.catch(() => {});
    await expect.poll(() => pid).toBeGreaterThan(0);
    await work.interrupt(); // nothing in flight to cancel
    expect(work.held()).toBe(1);
    await work.terminate();
    expect(work.held()).toBe(0);
    expect(busy()).toBe(0);
    await expect
      .poll(
        async () => (await sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${pid}`.execute(t.db)).rows.length,
      )
      .toBe(0);
  });

  it('lets the server end a statement past the deadline without being asked (statement_timeout)', async () => {
    const work = createInterruptibleDb({ pool, control: t.db, statementDeadline: Date.now() + 300 });
    const began = Date.now();
    await expect(sql`SELECT pg_sleep(5)`.execute(work.db)).rejects.toMatchObject({ code: '57014' });
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(busy()).toBe(0);
  });
});
