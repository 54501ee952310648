import { systemClock } from '@atrium/domain/platform/clock';
import { metricValue, sleep, useTestDatabase, waitFor } from '@atrium/testkit';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningScheduler, startScheduler } from '../src/scheduler.ts';
import { createTestSchedule, runsOf, testSchedulerEnv } from './helpers.ts';

/**
 * SPEC §8: "runs longer than max_runtime_seconds are aborted". Aborted means the run's SQL stops with
 * it — a handler blocked on a lock must not keep its statement and connection after the run was
 * recorded `timed_out` — and no handler can starve the replica's own work (claims, lease heartbeats,
 * outcome writes, readiness).
 */
describe('a timed-out run really stops', () => {
  const t = useTestDatabase();
  const started: RunningScheduler[] = [];
  const holders: pg.Client[] = [];
  afterEach(async () => {
    await Promise.all(holders.splice(0).map((holder) => holder.end()));
    await Promise.all(started.splice(0).map((replica) => replica.stop()));
    await t.db.deleteFrom('schedules').execute();
    await t.db.deleteFrom('scheduler_leases').execute();
  });

  /** A transaction outside the scheduler that holds the row lock the handler's DELETE waits for. */
  const lockRow = async (table: string, id: number): Promise<pg.Client> => {
    const holder = new pg.Client({ connectionString: t.url, application_name: 'lock-holder' });
    await holder.connect();
    holders.push(holder);
    await holder.query('BEGIN');
    await holder.query(`SELECT id FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
    return holder;
  };

  const metrics = async (replica: RunningScheduler) => (await fetch(`${replica.opsUrl}/metrics`)).text();
  const handlerConnections = async (replica: RunningScheduler, state: 'busy' | 'waiting') =>
    metricValue(await metrics(replica), 'atrium_scheduler_db_connections', { pool: 'handlers', state });
  /** Sessions of this database stuck waiting for a lock (the lock holder's own session is idle). */
  const lockWaiters = async () => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(t.db);
    return rows[0]?.n ?? -1;
  };

  it('cancels a handler’s statement blocked on a lock: timed_out on time, connection back, bystander on time', async () => {
    await sql`CREATE TABLE timeout_probe (id int PRIMARY KEY)`.execute(t.db);
    await sql`INSERT INTO timeout_probe VALUES (1)`.execute(t.db);
    const replica = await startScheduler(
      // A small pool for the replica's own work: handlers that kept their connections would empty it.
      testSchedulerEnv(t.url, {
        SCHEDULER_NODE_ID: 'timeout-node',
        SCHEDULER_TICK_MS: '100',
        DATABASE_POOL_SIZE: '2',
        SCHEDULER_HANDLER_POOL_SIZE: '2',
      }),
      {
        builtIns: false,
        handlers: {
          // Like a built-in retention handler mid-batch: one statement, signal not consulted.
          'test.blocked-delete': async ({ db }) => {
            await sql`DELETE FROM timeout_probe WHERE id = 1`.execute(db);
          },
          'test.bystander': async () => ({ ok: true }),
        },
      },
    );
    started.push(replica);
    await lockRow('timeout_probe', 1);

    const blocked = await createTestSchedule(t.db, systemClock, {
      name: 'blocked-delete',
      handler: 'test.blocked-delete',
      kind: 'once',
      runAt: new Date(),
      maxRuntimeSeconds: 1,
      maxAttempts: 3,
      backoffSeconds: 1,
    });
    const bystander = await createTestSchedule(t.db, systemClock, {
      name: 'bystander',
      handler: 'test.bystander',
      intervalSeconds: 1,
    });

    // Attempt 1 is recorded timed_out about a second after it started — not a settle period later.
    const first = await waitFor(
      async () => (await runsOf(t.db, blocked.id)).find((run) => run.attempt === 1 && run.finished_at),
      { timeoutMs: 10_000, what: 'attempt 1 to be recorded' },
    );
    expect(first).toMatchObject({ status: 'timed_out', error: expect.stringMatching(/max runtime of 1s/) });
    const firstMs = first.finished_at!.getTime() - first.started_at.getTime();
    expect(firstMs).toBeGreaterThanOrEqual(1_000);
    expect(firstMs).toBeLessThan(1_600);
    // Its statement was cancelled, and its connection is back in the handler pool.
    await waitFor(async () => (await lockWaiters()) === 0 || null, {
      timeoutMs: 500,
      what: 'the cancelled DELETE to leave the lock queue',
    });

    // Every attempt ends the same way, while the lock is still held.
    const all = await waitFor(
      async () => {
        const runs = await runsOf(t.db, blocked.id);
        return runs.filter((run) => run.finished_at).length === 3 ? runs : null;
      },
      { timeoutMs: 15_000, what: 'three timed-out attempts' },
    );
    const durations = all.map((run) => run.finished_at!.getTime() - run.started_at.getTime());
    expect(all.map((run) => run.status)).toEqual(['timed_out', 'timed_out', 'timed_out']);
    for (const ms of durations) expect(ms).toBeLessThan(1_600);
    expect(await lockWaiters()).toBe(0);
    expect(await handlerConnections(replica, 'busy')).toBe(0);

    // The bystander ran every second throughout, each run claimed on time.
    const bystanderRuns = (await runsOf(t.db, bystander.id)).filter(
      (run) => run.started_at.getTime() <= all[2]!.finished_at!.getTime(),
    );
    const lateness = bystanderRuns.map((run) => run.started_at.getTime() - run.scheduled_for.getTime());
    expect(bystanderRuns.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...lateness)).toBeLessThan(500);
    expect((await fetch(`${replica.opsUrl}/health/ready`)).status).toBe(200);
    console.info(
      `timed-out attempts recorded after ${durations.join(' / ')} ms; ` +
        `bystander: ${bystanderRuns.length} runs, max lateness ${Math.max(...lateness)} ms`,
    );
  });

  it('ends the session of a handler that ignores the abort inside a transaction', async () => {
    const replica = await startScheduler(
      testSchedulerEnv(t.url, { SCHEDULER_NODE_ID: 'stubborn-node', SCHEDULER_TICK_MS: '100' }),
      {
        builtIns: false,
        handlers: {
          // Idle in a transaction, awaiting something that never comes: nothing to cancel.
          'test.stubborn': ({ db }) =>
            db.transaction().execute(async (trx) => {
              await sql`SELECT 1`.execute(trx);
              await new Promise(() => {});
            }),
        },
      },
    );
    started.push(replica);
    const stubborn = await createTestSchedule(t.db, systemClock, {
      name: 'stubborn',
      handler: 'test.stubborn',
      kind: 'once',
      runAt: new Date(),
      maxRuntimeSeconds: 1,
      maxAttempts: 1,
    });
    const [run] = await waitFor(
      async () => {
        const runs = await runsOf(t.db, stubborn.id);
        return runs[0]?.finished_at ? runs : null;
      },
      { timeoutMs: 10_000, what: 'the stubborn run to be recorded' },
    );
    // Recorded after the runtime limit plus the settle time it was given, with its session gone.
    expect(run).toMatchObject({ status: 'timed_out' });
    expect(run!.finished_at!.getTime() - run!.started_at.getTime()).toBeLessThan(2_600);
    expect(await handlerConnections(replica, 'busy')).toBe(0);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'atrium-scheduler-handlers'
         AND state = 'idle in transaction'`.execute(t.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('handlers holding every handler connection delay neither claims nor lease heartbeats', async () => {
    const replica = await startScheduler(
      testSchedulerEnv(t.url, {
        SCHEDULER_NODE_ID: 'hog-node',
        SCHEDULER_TICK_MS: '100',
        DATABASE_POOL_SIZE: '2',
        SCHEDULER_HANDLER_POOL_SIZE: '2',
        // Renewed every 300 ms: a heartbeat waiting for a connection would lose the lease.
        SCHEDULER_LEASE_TTL_MS: '900',
      }),
      {
        builtIns: false,
        handlers: {
          // More statements at once than the handler pool has connections: they queue for them.
          'test.hog': async ({ db }) => {
            await Promise.all([1, 2, 3].map(() => sql`SELECT pg_sleep(1)`.execute(db)));
            return { slept: 3 };
          },
          'test.bystander': async () => ({ ok: true }),
        },
      },
    );
    started.push(replica);
    const hog = await createTestSchedule(t.db, systemClock, {
      name: 'hog',
      handler: 'test.hog',
      kind: 'once',
      runAt: new Date(),
      maxRuntimeSeconds: 10,
      maxAttempts: 1,
    });
    const bystander = await createTestSchedule(t.db, systemClock, {
      name: 'bystander',
      handler: 'test.bystander',
      intervalSeconds: 1,
    });

    // While it runs: the lease never comes within 100 ms of lapsing (renewed every 300 ms), and the
    // hog's statements queue for handler connections.
    let leaseMarginMs = Number.POSITIVE_INFINITY;
    let queuedForHandlerConnections = 0;
    const [hogRun] = await waitFor(
      async () => {
        const { rows } = await sql<{ margin: number | null }>`
          SELECT (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::int AS margin
            FROM scheduler_leases WHERE name = ${`schedule:${hog.id}`} AND owner IS NOT NULL`.execute(t.db);
        if (rows[0]?.margin != null) leaseMarginMs = Math.min(leaseMarginMs, rows[0].margin);
        queuedForHandlerConnections = Math.max(
          queuedForHandlerConnections,
          (await handlerConnections(replica, 'waiting')) ?? 0,
        );
        const runs = await runsOf(t.db, hog.id);
        return runs[0]?.finished_at ? runs : null;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the hog to finish' },
    );
    // Its outcome was accepted under the lease it claimed with, ~2 s after it started.
    expect(hogRun).toMatchObject({ status: 'succeeded', result: { slept: 3 } });
    expect(hogRun!.finished_at!.getTime() - hogRun!.started_at.getTime()).toBeGreaterThanOrEqual(1_900);
    expect(leaseMarginMs).toBeGreaterThan(100);

    await sleep(200);
    const during = (await runsOf(t.db, bystander.id)).filter(
      (run) => run.started_at.getTime() <= hogRun!.finished_at!.getTime(),
    );
    const lateness = during.map((run) => run.started_at.getTime() - run.scheduled_for.getTime());
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...lateness)).toBeLessThan(500);
    expect(queuedForHandlerConnections).toBeGreaterThan(0);
  });
});
