import { createInterruptibleDb } from '@atrium/db';
import { useTestDatabase } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/platform/clock.ts';
import { silentLog } from '../../src/platform/logger.ts';
import { createPostgresRealtimePublisher } from '../../src/realtime/publishers.ts';
import {
  type ClaimedRun,
  claimDueOccurrence,
  findDueSchedules,
  type RunOutcome,
  recordRunOutcome,
  runClaimedOccurrence,
  type SchedulerEngineDeps,
} from '../../src/scheduling/engine.ts';
import { createScheduleHandlerRegistry } from '../../src/scheduling/handlers.ts';
import {
  type CreateScheduleInput,
  createSchedule,
  pauseSchedule,
  triggerScheduleNow,
  unquarantineSchedule,
} from '../../src/scheduling/index.ts';
import { readLease, renewLease } from '../../src/scheduling/lease.ts';

const START = new Date('2026-03-02T10:00:00.000Z');
const handlers = createScheduleHandlerRegistry([
  { name: 'test.noop', run: async () => ({ ok: true }) },
  {
    name: 'test.fail',
    run: async () => {
      throw new Error('boom');
    },
  },
]);
const ok: RunOutcome = { status: 'succeeded', durationMs: 1 };
const failed: RunOutcome = { status: 'failed', error: 'boom', durationMs: 1 };

describe('scheduler engine', () => {
  const t = useTestDatabase();
  const clock = manualClock(START);
  const engine = (nodeId = 'node-a', overrides: Partial<SchedulerEngineDeps> = {}): SchedulerEngineDeps => ({
    db: t.db,
    clock,
    nodeId,
    logger: silentLog,
    leaseTtlMs: 10_000,
    misfireGraceMs: 5_000,
    random: () => 0.5,
    ...overrides,
  });
  let counter = 0;
  const make = async (input: Partial<CreateScheduleInput> = {}) =>
    createSchedule({ db: t.db, clock, handlers }, {
      actor: null,
      name: `engine-${++counter}`,
      handler: 'test.noop',
      kind: 'interval',
      intervalSeconds: 60,
      ...input,
    } as CreateScheduleInput & { actor: null });
  const runsOf = (scheduleId: string) =>
    t.db
      .selectFrom('schedule_runs')
      .selectAll()
      .where('schedule_id', '=', scheduleId)
      .orderBy('id')
      .execute();
  const scheduleRow = (id: string) =>
    t.db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const claim = async (scheduleId: string, nodeId = 'node-a') =>
    claimDueOccurrence(engine(nodeId), scheduleId);
  const claimRun = async (scheduleId: string, nodeId = 'node-a'): Promise<ClaimedRun> => {
    const result = await claim(scheduleId, nodeId);
    if (!result.run) throw new Error('expected a claimed run');
    return result.run;
  };

  it('gives each occurrence to exactly one of many concurrent claimers', async () => {
    clock.set(START);
    const schedule = await make();
    expect(schedule.nextRunAt).toEqual(new Date(START.getTime() + 60_000));
    expect((await claim(schedule.id)).run).toBeNull(); // not due yet

    for (let occurrence = 1; occurrence <= 3; occurrence += 1) {
      clock.advance(60_000);
      expect(await findDueSchedules(t.db, { now: clock.now(), limit: 100 })).toContain(schedule.id);
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(schedule.id, `node-${i}`)));
      const winners = claims.filter((c) => c.run !== null);
      expect(winners).toHaveLength(1);
      await recordRunOutcome(engine(winners[0]!.run!.lease.owner), winners[0]!.run!, ok);
    }
    const runs = await runsOf(schedule.id);
    expect(runs.map((r) => [r.scheduled_for.getTime() - START.getTime(), r.attempt, r.status])).toEqual([
      [60_000, 1, 'succeeded'],
      [120_000, 1, 'succeeded'],
      [180_000, 1, 'succeeded'],
    ]);
    expect((await scheduleRow(schedule.id)).next_run_at).toEqual(new Date(START.getTime() + 240_000));
  });

  it('refuses a second row for an occurrence attempt at the database level', async () => {
    clock.set(START);
    const schedule = await make();
    const row = {
      schedule_id: schedule.id,
      scheduled_for: START,
      attempt: 1,
      node_id: 'x',
      fencing_token: 1,
      started_at: START,
      status: 'running' as const,
    };
    await t.db.insertInto('schedule_runs').values(row).execute();
    await expect(
      t.db
        .insertInto('schedule_runs')
        .values({ ...row, node_id: 'y' })
        .execute(),
    ).rejects.toThrow(/schedule_runs_occurrence_attempt_key/);
  });

  it('fences a stale owner: after a takeover its success is refused and its row stays as recorded', async () => {
    clock.set(START);
    const schedule = await make({ maxAttempts: 3 });
    clock.advance(60_000);
    const stale = await claimRun(schedule.id, 'node-a');
    expect(stale.lease.token).toBe(1n);

    // node-a stalls: no heartbeat. Before expiry nobody can take over.
    clock.advance(9_000);
    expect((await claim(schedule.id, 'node-b')).run).toBeNull();
    clock.advance(1_001);
    const takeover = await claim(schedule.id, 'node-b');
    expect(takeover.abandoned).toBe(1);
    const fresh = takeover.run!;
    expect(fresh.lease.token).toBeGreaterThan(stale.lease.token);
    expect(fresh).toMatchObject({ attempt: 2, scheduledFor: stale.scheduledFor });

    const before = (await runsOf(schedule.id)).find((r) => r.id === stale.runId)!;
    expect(before).toMatchObject({ status: 'failed', node_id: 'node-a' });
    expect(before.error).toMatch(/abandoned/);

    // node-a wakes up and tries to report success: refused, nothing changes.
    expect(await renewLease(t.db, stale.lease, { ttlMs: 10_000, now: clock.now() })).toBeNull();
    expect(await recordRunOutcome(engine('node-a'), stale, ok)).toEqual({
      recorded: false,
      reason: 'fenced',
    });
    expect((await runsOf(schedule.id)).find((r) => r.id === stale.runId)).toEqual(before);

    // The new owner records normally and releases.
    expect(await recordRunOutcome(engine('node-b'), fresh, ok)).toMatchObject({ recorded: true });
    const runs = await runsOf(schedule.id);
    expect(runs.map((r) => [r.attempt, r.node_id, r.status, r.fencing_token])).toEqual([
      [1, 'node-a', 'failed', '1'],
      [2, 'node-b', 'succeeded', '2'],
    ]);
    expect(await readLease(t.db, `schedule:${schedule.id}`)).toMatchObject({ owner: null, token: 2n });
    expect((await scheduleRow(schedule.id)).consecutive_failures).toBe(0);
  });

  it('retries after backoff · 2^(attempt-1), then counts one failed occurrence', async () => {
    clock.set(START);
    const schedule = await make({
      handler: 'test.fail',
      maxAttempts: 3,
      backoffSeconds: 10,
      intervalSeconds: 3600,
    });
    clock.advance(3_600_000);
    const slot = clock.now();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const run = await claimRun(schedule.id);
      expect(run.attempt).toBe(attempt);
      const recorded = await recordRunOutcome(engine(), run, failed);
      if (!recorded.recorded) throw new Error('not recorded');
      if (attempt < 3) {
        const wait = recorded.retryAt!.getTime() - clock.now().getTime();
        delays.push(wait);
        clock.advance(wait - 1);
        expect((await claim(schedule.id)).run).toBeNull(); // not before its time
        clock.advance(1);
      } else {
        expect(recorded.retryAt).toBeNull();
      }
    }
    expect(delays).toEqual([10_000, 20_000]);
    const runs = await runsOf(schedule.id);
    expect(runs.map((r) => [r.attempt, r.status, r.scheduled_for.getTime() === slot.getTime()])).toEqual([
      [1, 'failed', true],
      [2, 'failed', true],
      [3, 'failed', true],
    ]);
    const row = await scheduleRow(schedule.id);
    expect(row).toMatchObject({ consecutive_failures: 1, status: 'active', retry_at: null });
  });

  it('quarantines after max_consecutive_failures, tells the outbox, runs nothing until unquarantined', async () => {
    clock.set(START);
    const schedule = await make({ handler: 'test.fail', maxAttempts: 1, maxConsecutiveFailures: 2 });
    for (let occurrence = 1; occurrence <= 2; occurrence += 1) {
      clock.advance(60_000);
      const recorded = await recordRunOutcome(engine(), await claimRun(schedule.id), failed);
      expect(recorded).toMatchObject({
        recorded: true,
        quarantined: occurrence === 2 ? { name: schedule.name } : null,
      });
    }
    const row = await scheduleRow(schedule.id);
    expect(row).toMatchObject({
      status: 'quarantined',
      consecutive_failures: 2,
      quarantined_at: clock.now(),
    });
    const event = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('type', '=', 'ScheduleQuarantined')
      .where('aggregate_id', '=', schedule.id)
      .executeTakeFirstOrThrow();
    expect(event.payload).toMatchObject({ name: schedule.name, consecutiveFailures: 2, lastError: 'boom' });

    for (let tick = 0; tick < 3; tick += 1) {
      clock.advance(60_000);
      expect(await findDueSchedules(t.db, { now: clock.now(), limit: 100 })).not.toContain(schedule.id);
      expect((await claim(schedule.id)).run).toBeNull();
    }
    await expect(
      triggerScheduleNow({ db: t.db, clock, handlers }, { id: schedule.id, actor: null }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await runsOf(schedule.id)).toHaveLength(2);

    const resumed = await unquarantineSchedule(
      { db: t.db, clock, handlers },
      { id: schedule.id, actor: null },
    );
    expect(resumed).toMatchObject({ status: 'active', consecutiveFailures: 0, quarantinedAt: null });
    expect(resumed.nextRunAt!.getTime()).toBe(clock.now().getTime() + 60_000);
    clock.advance(60_000);
    expect((await claim(schedule.id)).run).not.toBeNull();
  });

  it('resets the failure count on success', async () => {
    clock.set(START);
    const schedule = await make({ maxAttempts: 1, maxConsecutiveFailures: 3 });
    clock.advance(60_000);
    await recordRunOutcome(engine(), await claimRun(schedule.id), failed);
    expect((await scheduleRow(schedule.id)).consecutive_failures).toBe(1);
    clock.advance(60_000);
    await recordRunOutcome(engine(), await claimRun(schedule.id), ok);
    expect((await scheduleRow(schedule.id)).consecutive_failures).toBe(0);
  });

  describe('misfire after downtime (the clock jumps 10 slots ahead)', () => {
    const downtime = async (misfire: 'skip' | 'run_once' | 'catch_up', maxCatchUp = 1) => {
      clock.set(START);
      const schedule = await make({ misfire, maxCatchUp, intervalSeconds: 60 });
      // Slots at +1 … +10 min were missed; now is +10.5 min.
      clock.advance(10 * 60_000 + 30_000);
      return schedule;
    };
    const minutes = (date: Date) => (date.getTime() - START.getTime()) / 60_000;

    it('skip: no run, one skipped row for visibility, next future slot', async () => {
      const schedule = await downtime('skip');
      const result = await claim(schedule.id);
      expect(result).toMatchObject({ run: null, skipped: 1 });
      const [row] = await runsOf(schedule.id);
      expect(row).toMatchObject({ status: 'skipped', trigger: 'misfire' });
      expect(row!.error).toMatch(/skipped 10 runs from/);
      expect(minutes((await scheduleRow(schedule.id)).next_run_at!)).toBe(11);
    });

    it('run_once: one run now (for the latest missed slot), then the next future slot', async () => {
      const schedule = await downtime('run_once');
      const run = await claimRun(schedule.id);
      expect(minutes(run.scheduledFor)).toBe(10);
      expect(run.trigger).toBe('misfire');
      await recordRunOutcome(engine(), run, ok);
      expect((await claim(schedule.id)).run).toBeNull();
      expect(minutes((await scheduleRow(schedule.id)).next_run_at!)).toBe(11);
      const runs = await runsOf(schedule.id);
      expect(runs.map((r) => [r.status, minutes(r.scheduled_for)])).toEqual([
        ['skipped', 1],
        ['succeeded', 10],
      ]);
    });

    it('catch_up: the oldest max_catch_up missed slots, oldest first, then the next future slot', async () => {
      const schedule = await downtime('catch_up', 3);
      const ran: number[] = [];
      for (;;) {
        const result = await claim(schedule.id);
        if (!result.run) break;
        ran.push(minutes(result.run.scheduledFor));
        expect(result.run.trigger).toBe('catch_up');
        await recordRunOutcome(engine(), result.run, ok);
      }
      expect(ran).toEqual([1, 2, 3]);
      expect(minutes((await scheduleRow(schedule.id)).next_run_at!)).toBe(11);
      const skipped = (await runsOf(schedule.id)).filter((r) => r.status === 'skipped');
      expect(skipped).toHaveLength(1);
      expect(minutes(skipped[0]!.scheduled_for)).toBe(4);
      expect(skipped[0]!.error).toMatch(/ran 3 missed runs, skipped 7/);
      // Back to normal: the next slot runs on time.
      clock.advance(30_000);
      expect(await claimRun(schedule.id)).toMatchObject({ trigger: 'schedule' });
    });

    it('a slot late by less than the grace is simply run late, not a misfire', async () => {
      clock.set(START);
      const schedule = await make({ misfire: 'skip' });
      clock.advance(60_000 + 4_000);
      const run = await claimRun(schedule.id);
      expect(run).toMatchObject({ trigger: 'schedule', attempt: 1 });
      expect(minutes(run.scheduledFor)).toBe(1);
    });
  });

  it('runs a once schedule at run_at, then completes it', async () => {
    clock.set(START);
    const runAt = new Date(START.getTime() + 30_000);
    const schedule = await make({ kind: 'once', runAt, intervalSeconds: undefined });
    expect(schedule.nextRunAt).toEqual(runAt);
    clock.advance(30_000);
    const run = await claimRun(schedule.id);
    expect(run.scheduledFor).toEqual(runAt);
    expect((await scheduleRow(schedule.id)).status).toBe('active'); // done only once the run is over
    await recordRunOutcome(engine(), run, ok);
    expect(await scheduleRow(schedule.id)).toMatchObject({ status: 'completed', next_run_at: null });
    clock.advance(3_600_000);
    expect((await claim(schedule.id)).run).toBeNull();
  });

  it('triggerNow: one manual occurrence for one replica, even while paused; regular slots stay paused', async () => {
    clock.set(START);
    const deps = { db: t.db, clock, handlers };
    const schedule = await make();
    await pauseSchedule(deps, { id: schedule.id, actor: null });
    const triggered = await triggerScheduleNow(deps, { id: schedule.id, actor: null });
    expect(triggered.pendingTriggerAt).toEqual(clock.now());
    // Asking twice before it runs does not queue a second one.
    expect((await triggerScheduleNow(deps, { id: schedule.id, actor: null })).pendingTriggerAt).toEqual(
      clock.now(),
    );

    const claims = await Promise.all(['a', 'b', 'c'].map((node) => claim(schedule.id, node)));
    const winners = claims.filter((c) => c.run);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.run).toMatchObject({ trigger: 'manual', attempt: 1 });
    await recordRunOutcome(engine(winners[0]!.run!.lease.owner), winners[0]!.run!, ok);

    clock.advance(10 * 60_000);
    expect((await claim(schedule.id)).run).toBeNull(); // paused
    expect(await scheduleRow(schedule.id)).toMatchObject({ status: 'paused', manual_run_at: null });
  });

  describe('running a handler', () => {
    const claimed = async (handler: string) => {
      clock.set(START);
      const schedule = await make({ handler });
      clock.advance(60_000);
      return claimRun(schedule.id);
    };
    const deps = () => ({
      openRunDatabase: (limits: { statementDeadline: number }) =>
        createInterruptibleDb({ pool: t.pool, control: t.db, ...limits }),
      clock,
      logger: silentLog,
      handlers,
      realtime: createPostgresRealtimePublisher(t.db),
    });

    it('succeeds with the result the handler returns', async () => {
      expect(await runClaimedOccurrence(deps(), await claimed('test.noop'))).toMatchObject({
        status: 'succeeded',
        result: { ok: true },
      });
    });

    it('fails with the error the handler throws', async () => {
      expect(await runClaimedOccurrence(deps(), await claimed('test.fail'))).toMatchObject({
        status: 'failed',
        error: 'boom',
      });
    });

    it('fails a run whose handler this replica does not know', async () => {
      const run = await claimed('test.noop');
      expect(await runClaimedOccurrence(deps(), { ...run, handler: 'test.gone' })).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/no handler named "test.gone"/),
      });
    });
  });
});
