import { systemClock } from '@atrium/domain/platform/clock';
import { spawnNode, useTestDatabase, waitFor } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { startScheduler } from '../src/scheduler.ts';
import { createTestSchedule, runsOf, scheduleRow, testSchedulerEnv } from './helpers.ts';

const LEASE_TTL_MS = 1_500;

describe('a replica crashing mid-run', () => {
  const t = useTestDatabase();

  it('lets another replica take the occurrence over once the lease lapses, under a higher fencing token', async () => {
    const schedule = await createTestSchedule(t.db, systemClock, {
      name: 'crash-me',
      handler: 'test.block',
      kind: 'once',
      runAt: new Date(),
      maxAttempts: 3,
    });

    // Replica 1, a real process: claims the occurrence and blocks in the handler…
    const doomed = spawnNode('test/fixtures/blocking-replica.ts', {
      cwd: new URL('..', import.meta.url),
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: t.url,
        DATABASE_POOL_SIZE: '2',
        LOG_LEVEL: 'warn',
        SCHEDULER_OPS_PORT: '0',
        SCHEDULER_NODE_ID: 'doomed',
        SCHEDULER_TICK_MS: '100',
        SCHEDULER_LEASE_TTL_MS: String(LEASE_TTL_MS),
      },
    });
    try {
      await doomed.waitForOutput('BLOCKING');
    } catch (error) {
      doomed.kill('SIGKILL');
      throw error;
    }
    const [first] = await runsOf(t.db, schedule.id);
    expect(first).toMatchObject({ status: 'running', node_id: 'doomed', attempt: 1 });

    // …and dies: no release, no outcome, no more heartbeats.
    doomed.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');

    // Replica 2 takes over once the lease lapses.
    const survivor = await startScheduler(
      testSchedulerEnv(t.url, {
        SCHEDULER_NODE_ID: 'survivor',
        SCHEDULER_TICK_MS: '100',
        SCHEDULER_LEASE_TTL_MS: String(LEASE_TTL_MS),
      }),
      { builtIns: false, handlers: { 'test.block': async () => ({ tookOver: true }) } },
    );
    try {
      await waitFor(async () => (await runsOf(t.db, schedule.id)).some((run) => run.status === 'succeeded'), {
        timeoutMs: 15_000,
      });
    } finally {
      await survivor.stop();
    }

    const runs = await runsOf(t.db, schedule.id);
    expect(runs.map((run) => [run.attempt, run.node_id, run.status])).toEqual([
      [1, 'doomed', 'failed'],
      [2, 'survivor', 'succeeded'],
    ]);
    expect(runs[0]!.error).toMatch(/abandoned: the lease of doomed/);
    expect(BigInt(runs[1]!.fencing_token)).toBeGreaterThan(BigInt(runs[0]!.fencing_token));
    // Not before the crashed owner's lease had lapsed.
    expect(runs[1]!.started_at.getTime() - runs[0]!.started_at.getTime()).toBeGreaterThanOrEqual(
      LEASE_TTL_MS,
    );
    expect(runs[1]!.scheduled_for).toEqual(runs[0]!.scheduled_for);
    expect(await scheduleRow(t.db, schedule.id)).toMatchObject({ status: 'completed' });
  });
});
