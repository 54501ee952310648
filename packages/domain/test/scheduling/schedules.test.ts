import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/platform/clock.ts';
import { createScheduleHandlerRegistry } from '../../src/scheduling/handlers.ts';
import {
  type CreateScheduleInput,
  createSchedule,
  ensureBuiltInSchedules,
  pauseSchedule,
  resumeSchedule,
  updateSchedule,
} from '../../src/scheduling/index.ts';

const START = new Date('2026-05-04T06:00:00.000Z');
const handlers = createScheduleHandlerRegistry([{ name: 'test.noop', run: async () => undefined }]);

describe('managing schedules', () => {
  const t = useTestDatabase();
  const clock = manualClock(START);
  const deps = () => ({ db: t.db, clock, handlers });
  const row = (name: string) =>
    t.db.selectFrom('schedules').selectAll().where('name', '=', name).executeTakeFirstOrThrow();

  it('upserts built-ins by name from any number of replicas, keeping what operators changed', async () => {
    clock.set(START);
    const definitions: CreateScheduleInput[] = [
      { name: 'built-in-a', handler: 'test.noop', kind: 'cron', cronExpr: '0 * * * *' },
      { name: 'built-in-b', handler: 'test.noop', kind: 'cron', cronExpr: '0 3 * * *', payload: { days: 7 } },
    ];
    await Promise.all([1, 2, 3].map(() => ensureBuiltInSchedules({ db: t.db, clock }, definitions)));
    expect((await row('built-in-a')).next_run_at).toEqual(new Date('2026-05-04T07:00:00.000Z'));

    // Operators pause one and another is quarantined…
    await pauseSchedule(deps(), { id: (await row('built-in-a')).id, actor: null });
    await t.db
      .updateTable('schedules')
      .set({ status: 'quarantined', consecutive_failures: 4, quarantined_at: START })
      .where('name', '=', 'built-in-b')
      .execute();

    // …then a release changes the definitions and every replica restarts.
    clock.advance(60_000);
    const changed: CreateScheduleInput[] = [
      { ...definitions[0]!, cronExpr: '30 * * * *' },
      { ...definitions[1]!, payload: { days: 30 } },
    ];
    await Promise.all([1, 2, 3].map(() => ensureBuiltInSchedules({ db: t.db, clock }, changed)));

    expect(await row('built-in-a')).toMatchObject({
      status: 'paused',
      builtin: true,
      cron_expr: '30 * * * *',
      next_run_at: new Date('2026-05-04T06:30:00.000Z'),
    });
    expect(await row('built-in-b')).toMatchObject({
      status: 'quarantined',
      consecutive_failures: 4,
      payload: { days: 30 },
      next_run_at: new Date('2026-05-05T03:00:00.000Z'), // timing unchanged: not recomputed
    });
    expect(
      await t.db.selectFrom('schedules').select('id').where('name', 'like', 'built-in-%').execute(),
    ).toHaveLength(2);
  });

  it('resumes from the next future slot, without catching up the paused time', async () => {
    clock.set(START);
    const schedule = await createSchedule(deps(), {
      actor: null,
      name: 'pausable',
      handler: 'test.noop',
      kind: 'interval',
      intervalSeconds: 600,
    });
    await pauseSchedule(deps(), { id: schedule.id, actor: null });
    clock.advance(3 * 3_600_000);
    const resumed = await resumeSchedule(deps(), { id: schedule.id, actor: null });
    expect(resumed.nextRunAt).toEqual(new Date(clock.now().getTime() + 600_000));
  });

  it('re-arms a completed once schedule when its run_at changes', async () => {
    clock.set(START);
    const schedule = await createSchedule(deps(), {
      actor: null,
      name: 'one-off',
      handler: 'test.noop',
      kind: 'once',
      runAt: new Date(START.getTime() + 1_000),
    });
    await t.db
      .updateTable('schedules')
      .set({ status: 'completed', next_run_at: null })
      .where('id', '=', schedule.id)
      .execute();
    const later = new Date(START.getTime() + 86_400_000);
    const updated = await updateSchedule(deps(), { actor: null, id: schedule.id, runAt: later });
    expect(updated).toMatchObject({ status: 'active', nextRunAt: later, runAt: later });
  });

  it('an update counts and audits only the settings whose value really changes', async () => {
    clock.set(START);
    const org = await createTestOrg(t.db, { name: 'Schedule editors', bare: true });
    const actor = { userId: crypto.randomUUID(), orgId: org.id };
    const schedule = await createSchedule(deps(), {
      actor,
      name: 'every-ten-minutes',
      handler: 'test.noop',
      kind: 'interval',
      intervalSeconds: 600,
      timezone: 'Europe/Berlin',
      payload: { a: 1, b: [1, 2] },
    });
    const audited = async () =>
      (
        await t.db
          .selectFrom('audit_entries')
          .select(['action', 'payload'])
          .where('resource_id', '=', schedule.id)
          .orderBy('seq')
          .execute()
      ).filter((entry) => entry.action === 'scheduler.schedule.updated');
    // What a form sends: every setting, as it was — the zone spelled another way, the payload's keys
    // in another order, the other kinds' timing fields empty.
    const everything = {
      id: schedule.id,
      actor,
      name: 'every-ten-minutes',
      handler: 'test.noop',
      kind: 'interval' as const,
      cronExpr: null,
      intervalSeconds: 600,
      runAt: null,
      timezone: 'europe/berlin',
      payload: { b: [1, 2], a: 1 },
      maxAttempts: 3,
      backoffSeconds: 30,
      maxRuntimeSeconds: 300,
      maxConsecutiveFailures: 5,
      misfire: 'run_once' as const,
      maxCatchUp: 1,
    };
    clock.advance(125_000);
    const unchanged = await updateSchedule(deps(), everything);
    expect(unchanged.changed).toEqual([]);
    expect(unchanged.updatedAt).toEqual(schedule.updatedAt);
    expect(await audited()).toEqual([]);

    // One real change among the rest: only it is written and audited, and the slots stay on their grid.
    const edited = await updateSchedule(deps(), { ...everything, maxAttempts: 4, payload: { a: 2 } });
    expect(edited.changed).toEqual(['payload', 'maxAttempts']);
    expect(edited).toMatchObject({ maxAttempts: 4, payload: { a: 2 }, nextRunAt: schedule.nextRunAt });
    expect((await audited()).map((entry) => entry.payload)).toEqual([
      { changed: ['payload', 'maxAttempts'], maxAttempts: 4 },
    ]);

    // A timing change moves the slots: from now.
    const moved = await updateSchedule(deps(), {
      ...everything,
      maxAttempts: 4,
      payload: { a: 2 },
      intervalSeconds: 60,
    });
    expect(moved.changed).toEqual(['intervalSeconds']);
    expect(moved.nextRunAt).toEqual(new Date(clock.now().getTime() + 60_000));
  });

  it('stores the time zone with its canonical spelling', async () => {
    const schedule = await createSchedule(deps(), {
      actor: null,
      name: 'zoned',
      handler: 'test.noop',
      kind: 'cron',
      cronExpr: '0 9 * * 1-5',
      timezone: 'asia/tehran',
    });
    expect(schedule.timezone).toBe('Asia/Tehran');
  });
});
