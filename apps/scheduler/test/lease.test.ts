import { systemClock } from '@atrium/domain/platform/clock';
import { RunAbortedError, scheduleLeaseName } from '@atrium/domain/scheduling/engine';
import { metricValue, sleep, useTestDatabase, waitFor } from '@atrium/testkit';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningScheduler, type StartSchedulerOptions, startScheduler } from '../src/scheduler.ts';
import { capturingLogger, createTestSchedule, runsOf, testSchedulerEnv } from './helpers.ts';

/**
 * The lease of a run in progress (SPEC §8: "the lease is renewed while running"): its heartbeat keeps
 * it from lapsing however long the run takes, and a replica that finds its lease gone to another one
 * aborts its run. Real clock: leases expire in real time here.
 */
describe('a running schedule’s lease', () => {
  const t = useTestDatabase();
  const started: RunningScheduler[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((replica) => replica.stop()));
    await t.db.deleteFrom('schedules').execute();
    await t.db.deleteFrom('scheduler_leases').execute();
  });

  const LEASE_TTL_MS = 600;
  const start = async (nodeId: string, options: StartSchedulerOptions) => {
    const replica = await startScheduler(
      testSchedulerEnv(t.url, {
        SCHEDULER_NODE_ID: nodeId,
        SCHEDULER_LEASE_TTL_MS: String(LEASE_TTL_MS),
        SCHEDULER_TICK_MS: '50',
      }),
      { builtIns: false, ...options },
    );
    started.push(replica);
    return replica;
  };

  it('is renewed while the run lasts several TTLs, so no other replica takes the occurrence over', async () => {
    const ranOn: string[] = [];
    const long =
      (nodeId: string) =>
      async ({ signal }: { signal: AbortSignal }) => {
        ranOn.push(nodeId);
        await sleep(4 * LEASE_TTL_MS);
        signal.throwIfAborted();
        return { nodeId };
      };
    await start('holder', { handlers: { 'test.long': long('holder') } });
    const schedule = await createTestSchedule(t.db, systemClock, {
      name: 'longer-than-its-lease',
      handler: 'test.long',
      kind: 'once',
      runAt: new Date(),
      maxAttempts: 3,
    });
    await waitFor(async () => (await runsOf(t.db, schedule.id))[0]?.status === 'running');
    // A second replica ticks all along, ready to take over a lapsed lease.
    await start('bystander', { handlers: { 'test.long': long('bystander') } });

    let latestExpiry = 0;
    const [run] = await waitFor(
      async () => {
        const lease = await t.db
          .selectFrom('scheduler_leases')
          .select(['owner', 'expires_at'])
          .where('name', '=', scheduleLeaseName(schedule.id))
          .executeTakeFirst();
        if (lease?.owner === 'holder') latestExpiry = Math.max(latestExpiry, lease.expires_at.getTime());
        const runs = await runsOf(t.db, schedule.id);
        return runs.every((r) => r.finished_at) ? runs : null;
      },
      { timeoutMs: 15_000, intervalMs: 50, what: 'the run to finish' },
    );
    expect(await runsOf(t.db, schedule.id)).toHaveLength(1);
    expect(run).toMatchObject({ attempt: 1, node_id: 'holder', status: 'succeeded' });
    expect(ranOn).toEqual(['holder']);
    // Renewed: the lease was still ahead of now well after its first TTL had passed.
    expect(latestExpiry - run!.started_at.getTime()).toBeGreaterThan(2 * LEASE_TTL_MS);
  });

  it('lost to another replica aborts the run at the next heartbeat — its SQL too — and its outcome is refused', async () => {
    const { logger, lines } = capturingLogger('scheduler');
    const aborted: unknown[] = [];
    const replica = await start('stalled', {
      logger,
      handlers: {
        'test.blocked': async ({ db, signal }) => {
          signal.addEventListener('abort', () => aborted.push(signal.reason));
          await sql`SELECT pg_sleep(30)`.execute(db);
        },
      },
    });
    const schedule = await createTestSchedule(t.db, systemClock, {
      name: 'taken-over',
      handler: 'test.blocked',
      kind: 'once',
      runAt: new Date(),
      maxRuntimeSeconds: 60,
    });
    await waitFor(async () => (await runsOf(t.db, schedule.id))[0]?.status === 'running');

    // What a replica does when it takes over a lapsed lease: a new owner, the next fencing token.
    const stolenAt = Date.now();
    await t.db
      .updateTable('scheduler_leases')
      .set((eb) => ({
        owner: 'thief',
        fencing_token: sql`${eb.ref('fencing_token')} + 1`,
        expires_at: new Date(Date.now() + 3_600_000),
      }))
      .where('name', '=', scheduleLeaseName(schedule.id))
      .execute();

    const [reason] = await waitFor(() => (aborted.length > 0 ? aborted : null), {
      timeoutMs: 3_000,
      what: 'the run to be aborted',
    });
    expect(reason).toBeInstanceOf(RunAbortedError);
    expect((reason as RunAbortedError).reason).toBe('lease_lost');
    expect(Date.now() - stolenAt).toBeLessThan(LEASE_TTL_MS + 500); // within a heartbeat or two
    await replica.idle();

    const metrics = await (await fetch(`${replica.opsUrl}/metrics`)).text();
    expect(metricValue(metrics, 'atrium_schedule_runs_fenced_total', { schedule: 'taken-over' })).toBe(1);
    expect(lines()).toContainEqual(
      expect.objectContaining({ msg: 'scheduler: lease lost to another replica; abandoning the run' }),
    );
    // Its statement did not outlive the run, and nothing was recorded: the run is the new owner's now.
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND state = 'active'
         AND pid <> pg_backend_pid()`.execute(t.db);
    expect(rows[0]?.n).toBe(0);
    expect((await runsOf(t.db, schedule.id)).map((run) => run.status)).toEqual(['running']);
  });
});
