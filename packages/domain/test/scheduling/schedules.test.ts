import { useTestDatabase } from '@atrium/testkit';
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
