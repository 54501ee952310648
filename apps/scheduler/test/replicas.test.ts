import { manualClock } from '@atrium/domain/platform/clock';
import {
  createScheduleHandlerRegistry,
  type ScheduleHandlerContext,
  unquarantineSchedule,
} from '@atrium/domain/scheduling/index';
import { metricValue, sleep, useTestDatabase, waitFor } from '@atrium/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningScheduler, type StartSchedulerOptions, startScheduler } from '../src/scheduler.ts';
import { capturingLogger, createTestSchedule, runsOf, scheduleRow, testSchedulerEnv } from './helpers.ts';

/**
 * In-process replicas of the scheduler against one real database. Each replica is a full
 * `startScheduler` (own pool, tick loop and ops server); they share a manual clock the test moves, so
 * "time" is deterministic while ticks, leases and handlers run for real.
 */
describe('scheduler replicas', () => {
  const t = useTestDatabase();
  const started: RunningScheduler[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((replica) => replica.stop()));
    // Each test starts from no schedules: a replica runs every due schedule it finds.
    await t.db.deleteFrom('schedules').execute();
    await t.db.deleteFrom('scheduler_leases').execute();
  });

  const start = async (nodeId: string, options: StartSchedulerOptions, env: Record<string, string> = {}) => {
    const replica = await startScheduler(testSchedulerEnv(t.url, { SCHEDULER_NODE_ID: nodeId, ...env }), {
      builtIns: false,
      ...options,
    });
    started.push(replica);
    return replica;
  };

  it('three replicas run every occurrence of interval and cron schedules exactly once', async () => {
    const clock = manualClock(new Date('2026-06-01T08:00:00.000Z'));
    const calls = new Map<string, number>();
    const ranOn = new Set<string>();
    const count = (nodeId: string) => async (ctx: ScheduleHandlerContext) => {
      const key = `${ctx.scheduleName}@${ctx.scheduledFor.toISOString()}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      ranOn.add(nodeId);
      await sleep(15);
      return { nodeId };
    };
    const replicas = await Promise.all(
      ['replica-1', 'replica-2', 'replica-3'].map((id) =>
        start(id, { clock, handlers: { 'test.count': count(id) } }),
      ),
    );
    const everySecond = await createTestSchedule(t.db, clock, {
      name: 'every-second',
      handler: 'test.count',
      kind: 'interval',
      intervalSeconds: 1,
    });
    const everyTwo = await createTestSchedule(t.db, clock, {
      name: 'every-two-seconds',
      handler: 'test.count',
      kind: 'cron',
      cronExpr: '*/2 * * * * *',
    });

    for (let second = 0; second < 12; second += 1) {
      clock.advance(1_000);
      await sleep(80);
    }
    // Let the replicas drain whatever is still due at the final instant.
    await waitFor(
      async () => {
        await Promise.all(replicas.map((replica) => replica.tick()));
        await Promise.all(replicas.map((replica) => replica.idle()));
        const next = await scheduleRow(t.db, everySecond.id);
        const nextTwo = await scheduleRow(t.db, everyTwo.id);
        return next.next_run_at! > clock.now() && nextTwo.next_run_at! > clock.now();
      },
      { timeoutMs: 15_000 },
    );

    for (const [schedule, expected] of [
      [everySecond, 12],
      [everyTwo, 6],
    ] as const) {
      const runs = await runsOf(t.db, schedule.id);
      const slots = new Set(runs.map((run) => run.scheduled_for.toISOString()));
      expect(runs).toHaveLength(expected);
      expect(slots.size).toBe(expected); // one row per occurrence
      expect(runs.every((run) => run.status === 'succeeded' && run.attempt === 1)).toBe(true);
    }
    // …and each handler invocation once per occurrence, whichever replica won it.
    expect(calls.size).toBe(18);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(ranOn.size).toBeGreaterThanOrEqual(1);

    // Which replica won which occurrence is up to the race: read every replica's metrics.
    const metrics = await Promise.all(
      replicas.map(async (replica) => (await fetch(`${replica.opsUrl}/metrics`)).text()),
    );
    const succeeded = metrics.map(
      (text) =>
        (metricValue(text, 'atrium_schedule_runs_total', { schedule: 'every-second', status: 'succeeded' }) ??
          0) +
        (metricValue(text, 'atrium_schedule_runs_total', {
          schedule: 'every-two-seconds',
          status: 'succeeded',
        }) ?? 0),
    );
    expect(succeeded.reduce((a, b) => a + b, 0)).toBe(18);
    expect(metrics.some((text) => text.includes('atrium_schedule_run_duration_seconds_bucket'))).toBe(true);
    for (const text of metrics) {
      expect(metricValue(text, 'atrium_scheduler_leases_held', { process: 'scheduler' })).toBe(0);
    }
  });

  it('aborts a run that exceeds max_runtime_seconds and records it timed_out', async () => {
    const clock = manualClock(new Date('2026-06-01T09:00:00.000Z'));
    let sawAbort: unknown = null;
    const replica = await start('timeout-node', {
      clock,
      handlers: {
        'test.slow': async ({ signal }) => {
          await new Promise<void>((resolve) => {
            const fallback = setTimeout(resolve, 10_000);
            signal.addEventListener('abort', () => {
              sawAbort = signal.reason instanceof Error ? signal.reason.message : signal.reason;
              clearTimeout(fallback);
              resolve();
            });
          });
        },
      },
    });
    const schedule = await createTestSchedule(t.db, clock, {
      name: 'too-slow',
      handler: 'test.slow',
      intervalSeconds: 3600,
      maxRuntimeSeconds: 1,
      maxAttempts: 1,
    });
    clock.advance(3_600_000);
    const began = Date.now();
    await waitFor(async () => (await runsOf(t.db, schedule.id)).some((run) => run.status !== 'running'), {
      timeoutMs: 10_000,
    });
    await replica.idle();
    const [run] = await runsOf(t.db, schedule.id);
    expect(run).toMatchObject({ status: 'timed_out', attempt: 1 });
    expect(run!.error).toMatch(/max runtime of 1s/);
    expect(String(sawAbort)).toMatch(/max runtime/);
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    // A timeout is a failure: it counts toward quarantine.
    expect((await scheduleRow(t.db, schedule.id)).consecutive_failures).toBe(1);
  });

  it('retries a failing handler with growing backoff: a new run row per attempt', async () => {
    const clock = manualClock(new Date('2026-06-01T10:00:00.000Z'));
    const attempts: number[] = [];
    const { logger, lines } = capturingLogger('scheduler');
    await start('retry-node', {
      clock,
      logger,
      random: () => 0.5, // no jitter: the delays are exactly 1 s, then 2 s
      handlers: {
        'test.flaky': async ({ attempt }) => {
          attempts.push(attempt);
          throw new Error(`attempt ${attempt} failed`);
        },
      },
    });
    const schedule = await createTestSchedule(t.db, clock, {
      name: 'flaky',
      handler: 'test.flaky',
      intervalSeconds: 3600,
      maxAttempts: 3,
      backoffSeconds: 1,
    });
    clock.advance(3_600_000);
    await waitFor(
      async () => {
        clock.advance(100);
        return (await runsOf(t.db, schedule.id)).filter((run) => run.finished_at !== null).length === 3;
      },
      { timeoutMs: 20_000, intervalMs: 40 },
    );
    const runs = await runsOf(t.db, schedule.id);
    expect(runs.map((run) => [run.attempt, run.status, run.error])).toEqual([
      [1, 'failed', 'attempt 1 failed'],
      [2, 'failed', 'attempt 2 failed'],
      [3, 'failed', 'attempt 3 failed'],
    ]);
    expect(new Set(runs.map((run) => run.scheduled_for.getTime())).size).toBe(1); // one occurrence
    expect(attempts).toEqual([1, 2, 3]);

    // The retry delays the engine chose: backoff · 2^(attempt-1) — and no attempt started early.
    const failures = lines().filter(
      (line) => line.msg === 'scheduler: run failed' && line.schedule === 'flaky',
    );
    const delays = failures
      .slice(0, 2)
      .map((line, i) => Date.parse(String(line.retryAt)) - runs[i]!.finished_at!.getTime());
    expect(delays).toEqual([1_000, 2_000]);
    expect(failures[2]?.retryAt).toBeNull();
    expect(runs[1]!.started_at.getTime() - runs[0]!.finished_at!.getTime()).toBeGreaterThanOrEqual(1_000);
    expect(runs[2]!.started_at.getTime() - runs[1]!.finished_at!.getTime()).toBeGreaterThanOrEqual(2_000);
    expect(await scheduleRow(t.db, schedule.id)).toMatchObject({ consecutive_failures: 1, retry_at: null });
  });

  it('quarantines a schedule that keeps failing, keeps it silent across ticks, and runs it again after unquarantine', async () => {
    const clock = manualClock(new Date('2026-06-01T11:00:00.000Z'));
    let fail = true;
    const { logger, lines } = capturingLogger('scheduler');
    const replica = await start('quarantine-node', {
      clock,
      logger,
      handlers: {
        'test.broken': async () => {
          if (fail) throw new Error('still broken');
        },
      },
    });
    const schedule = await createTestSchedule(t.db, clock, {
      name: 'broken',
      handler: 'test.broken',
      intervalSeconds: 1,
      maxAttempts: 1,
      maxConsecutiveFailures: 3,
    });
    await waitFor(
      async () => {
        clock.advance(1_000);
        return (await scheduleRow(t.db, schedule.id)).status === 'quarantined';
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    await replica.idle();
    const quarantinedRuns = (await runsOf(t.db, schedule.id)).length;
    expect(quarantinedRuns).toBe(3);
    expect(lines()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        event: 'ScheduleQuarantined',
        name: 'broken',
        consecutiveFailures: 3,
      }),
    );

    for (let tick = 0; tick < 5; tick += 1) {
      clock.advance(1_000);
      await replica.tick();
    }
    await replica.idle();
    expect(await runsOf(t.db, schedule.id)).toHaveLength(quarantinedRuns);

    fail = false;
    const handlers = createScheduleHandlerRegistry([{ name: 'test.broken', run: async () => undefined }]);
    await unquarantineSchedule({ db: t.db, clock, handlers }, { id: schedule.id, actor: null });
    clock.advance(1_000);
    await waitFor(async () => (await runsOf(t.db, schedule.id)).some((run) => run.status === 'succeeded'));
    expect(await scheduleRow(t.db, schedule.id)).toMatchObject({ status: 'active', consecutive_failures: 0 });
  });

  it('after downtime (clock jump) catch_up runs at most max_catch_up missed slots, then resumes on time', async () => {
    const clock = manualClock(new Date('2026-06-01T12:00:00.000Z'));
    const ran: string[] = [];
    const replica = await start('misfire-node', {
      clock,
      handlers: {
        'test.record': async ({ scheduledFor }) => {
          ran.push(scheduledFor.toISOString());
        },
      },
    });
    const schedule = await createTestSchedule(t.db, clock, {
      name: 'hourly-report',
      handler: 'test.record',
      kind: 'cron',
      cronExpr: '0 * * * *',
      misfire: 'catch_up',
      maxCatchUp: 2,
    });
    clock.advance(5.5 * 3_600_000); // down from 12:00 to 17:30: slots 13:00 … 17:00 missed
    await waitFor(async () => {
      await replica.tick();
      await replica.idle();
      return (await scheduleRow(t.db, schedule.id)).next_run_at!.toISOString() === '2026-06-01T18:00:00.000Z';
    });
    expect(ran).toEqual(['2026-06-01T13:00:00.000Z', '2026-06-01T14:00:00.000Z']);
    const runs = await runsOf(t.db, schedule.id);
    expect(runs.map((run) => [run.status, run.trigger, run.scheduled_for.toISOString()])).toEqual([
      ['skipped', 'misfire', '2026-06-01T15:00:00.000Z'],
      ['succeeded', 'catch_up', '2026-06-01T13:00:00.000Z'],
      ['succeeded', 'catch_up', '2026-06-01T14:00:00.000Z'],
    ]);
  });

  it('on stop, lets a run finish within the grace period, aborts the rest as shutdown, releases its leases', async () => {
    const clock = manualClock(new Date('2026-06-01T13:00:00.000Z'));
    const replica = await start(
      'stopping-node',
      {
        clock,
        handlers: {
          'test.quick': async () => {
            await sleep(300);
          },
          'test.endless': ({ signal }) =>
            new Promise<void>((_, reject) => {
              signal.addEventListener('abort', () => reject(signal.reason));
            }),
        },
      },
      { SCHEDULER_SHUTDOWN_GRACE_MS: '500' },
    );
    const quick = await createTestSchedule(t.db, clock, {
      name: 'quick',
      handler: 'test.quick',
      intervalSeconds: 60,
    });
    const endless = await createTestSchedule(t.db, clock, {
      name: 'endless',
      handler: 'test.endless',
      intervalSeconds: 60,
      maxAttempts: 2,
    });
    clock.advance(60_000);
    await waitFor(async () => {
      await replica.tick();
      const [quickRuns, endlessRuns] = await Promise.all([runsOf(t.db, quick.id), runsOf(t.db, endless.id)]);
      return quickRuns.length === 1 && endlessRuns[0]?.status === 'running';
    });
    await replica.stop();

    expect(await runsOf(t.db, quick.id)).toMatchObject([{ status: 'succeeded' }]);
    expect(await runsOf(t.db, endless.id)).toMatchObject([
      { status: 'failed', error: 'shutdown', attempt: 1 },
    ]);
    // The interrupted occurrence is retried at once by whichever replica ticks next.
    const row = await scheduleRow(t.db, endless.id);
    expect(row).toMatchObject({ retry_attempt: 2, consecutive_failures: 0 });
    expect(row.retry_at!.getTime()).toBeLessThanOrEqual(clock.now().getTime());
    const held = await t.db
      .selectFrom('scheduler_leases')
      .select('name')
      .where('owner', '=', 'stopping-node')
      .execute();
    expect(held).toEqual([]);
  });
});
