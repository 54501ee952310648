import type { Permission } from '@atrium/domain/access/permissions';
import type { Session } from '@atrium/domain/access/session';
import { PLATFORM_AUDIT_CHAIN } from '@atrium/domain/audit/index';
import type { AppError } from '@atrium/domain/errors';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, testSession } from '@atrium/testkit/factories';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context.ts';
import { schedulerRouter } from '../src/routers/scheduler.ts';
import { createServices, type Services } from '../src/services.ts';
import { createCallerFactory } from '../src/trpc.ts';
import { testApiEnv } from './helpers.ts';

const createCaller = createCallerFactory(schedulerRouter);
const OPERATOR = '00000000-0000-4000-8000-0000000005c1';
const UNKNOWN_ID = '00000000-0000-4000-8000-00000000dead';

describe('scheduler router', () => {
  const t = useTestDatabase();
  let services: Services;
  let orgId: string;

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
    orgId = (await createTestOrg(t.db, { slug: 'platform-ops', name: 'Platform ops', bare: true })).id;
  });
  afterAll(() => services.close());

  const session = (permissions: Permission[] = ['scheduler.manage']): Session =>
    testSession({ userId: OPERATOR, orgId, roles: ['admin'], permissions, platformRole: 'operator' });
  const operator = () => createCaller(createInnerContext({ services, session: session() }));
  const callerFor = (s: Session | null) => createCaller(createInnerContext({ services, session: s }));

  async function failure(
    promise: Promise<unknown>,
  ): Promise<{ code: string; fieldErrors?: Record<string, string[]> }> {
    try {
      await promise;
    } catch (error) {
      if (!(error instanceof TRPCError)) throw error;
      const cause = error.cause as AppError | undefined;
      const fieldErrors = cause?.details?.fieldErrors as Record<string, string[]> | undefined;
      return { code: cause?.code ?? error.code, ...(fieldErrors ? { fieldErrors } : {}) };
    }
    throw new Error('expected the call to fail');
  }

  const nightly = {
    name: 'nightly-retention',
    handler: 'maintenance.event-retention',
    kind: 'cron' as const,
    cronExpr: '30 2 * * *',
    timezone: 'Europe/Berlin',
    payload: { retentionDays: 14 },
  };

  it('requires scheduler.manage (403) and a caller (401)', async () => {
    const editor = callerFor(session(['content.write', 'ops.read']));
    expect(await failure(editor.list({}))).toEqual({ code: 'FORBIDDEN' });
    expect(await failure(editor.create(nightly))).toEqual({ code: 'FORBIDDEN' });
    expect(await failure(editor.triggerNow({ id: UNKNOWN_ID }))).toEqual({ code: 'FORBIDDEN' });
    expect(await failure(callerFor(null).list({}))).toEqual({ code: 'UNAUTHENTICATED' });
    expect(await failure(editor.handlers())).toEqual({ code: 'FORBIDDEN' });
  });

  it('lists the handlers a schedule can name', async () => {
    const names = (await operator().handlers()).map((h) => h.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'audit.integrity-report',
        'maintenance.credential-cleanup',
        'maintenance.event-retention',
      ]),
    );
    expect(names).toEqual([...names].sort());
  });

  it('creates a cron schedule in a time zone and computes its next slot', async () => {
    const created = await operator().create(nightly);
    expect(created).toMatchObject({
      name: 'nightly-retention',
      kind: 'cron',
      cronExpr: '30 2 * * *',
      timezone: 'Europe/Berlin',
      status: 'active',
      payload: { retentionDays: 14 },
      maxAttempts: 3,
      misfire: 'run_once',
      builtin: false,
    });
    const nextRun = created.nextRunAt!;
    expect(nextRun.getTime()).toBeGreaterThan(Date.now());
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
    }).format(nextRun);
    expect(local).toBe('02:30');
    expect(await operator().get({ id: created.id })).toEqual(created);
  });

  it('validates cron expressions, time zones, kinds, handlers and payloads with field errors (400)', async () => {
    const caller = operator();
    expect(await failure(caller.create({ ...nightly, name: 'bad-cron', cronExpr: '61 * * * *' }))).toEqual({
      code: 'VALIDATION_ERROR',
      fieldErrors: { cronExpr: [expect.stringMatching(/61/)] },
    });
    expect(
      await failure(caller.create({ ...nightly, name: 'bad-zone', timezone: 'Mars/Olympus_Mons' })),
    ).toEqual({
      code: 'VALIDATION_ERROR',
      fieldErrors: { timezone: [expect.stringMatching(/Unknown IANA time zone/)] },
    });
    expect(
      await failure(caller.create({ name: 'no-interval', handler: nightly.handler, kind: 'interval' })),
    ).toEqual({
      code: 'VALIDATION_ERROR',
      fieldErrors: { intervalSeconds: ['Required for kind interval'] },
    });
    expect(
      await failure(caller.create({ ...nightly, name: 'no-handler', handler: 'does.not-exist' })),
    ).toMatchObject({
      code: 'VALIDATION_ERROR',
      fieldErrors: { handler: [expect.stringMatching(/Unknown handler/)] },
    });
    expect(
      await failure(caller.create({ ...nightly, name: 'bad-payload', payload: { retentionDays: 'soon' } })),
    ).toMatchObject({
      code: 'VALIDATION_ERROR',
      fieldErrors: { 'payload.retentionDays': [expect.any(String)] },
    });
    expect(await failure(caller.create({ ...nightly, name: 'Not A Slug' }))).toMatchObject({
      code: 'VALIDATION_ERROR',
      fieldErrors: { name: [expect.any(String)] },
    });
    expect(await failure(caller.update({ id: 'not-a-uuid' }))).toMatchObject({ code: 'VALIDATION_ERROR' });
    // Nothing was written by any of them.
    const names = await t.db.selectFrom('schedules').select('name').execute();
    expect(names.map((row) => row.name)).not.toContain('bad-cron');
  });

  it('refuses a duplicate name with 409 and an unknown id with 404', async () => {
    await operator().create({ ...nightly, name: 'unique-name' });
    expect(await failure(operator().create({ ...nightly, name: 'unique-name' }))).toEqual({
      code: 'CONFLICT',
    });
    for (const call of [
      () => operator().get({ id: UNKNOWN_ID }),
      () => operator().runs({ scheduleId: UNKNOWN_ID }),
      () => operator().pause({ id: UNKNOWN_ID }),
      () => operator().resume({ id: UNKNOWN_ID }),
      () => operator().triggerNow({ id: UNKNOWN_ID }),
      () => operator().unquarantine({ id: UNKNOWN_ID }),
      () => operator().update({ id: UNKNOWN_ID, maxAttempts: 2 }),
    ]) {
      expect(await failure(call())).toEqual({ code: 'NOT_FOUND' });
    }
  });

  it('pause, resume, triggerNow and unquarantine change the state, each audited in the platform chain', async () => {
    const caller = operator();
    const schedule = await caller.create({
      name: 'state-machine',
      handler: 'maintenance.credential-cleanup',
      kind: 'interval',
      intervalSeconds: 300,
    });

    const paused = await caller.pause({ id: schedule.id });
    expect(paused.status).toBe('paused');
    expect(await caller.pause({ id: schedule.id })).toMatchObject({ status: 'paused' }); // idempotent

    const resumed = await caller.resume({ id: schedule.id });
    expect(resumed.status).toBe('active');
    expect(resumed.nextRunAt!.getTime()).toBeGreaterThan(Date.now());

    const triggered = await caller.triggerNow({ id: schedule.id });
    expect(triggered.pendingTriggerAt).toBeInstanceOf(Date);
    expect((await caller.triggerNow({ id: schedule.id })).pendingTriggerAt).toEqual(
      triggered.pendingTriggerAt,
    );

    expect(await failure(caller.unquarantine({ id: schedule.id }))).toEqual({ code: 'CONFLICT' });
    await t.db
      .updateTable('schedules')
      .set({ status: 'quarantined', quarantined_at: new Date(), consecutive_failures: 5 })
      .where('id', '=', schedule.id)
      .execute();
    expect(await failure(caller.resume({ id: schedule.id }))).toEqual({ code: 'CONFLICT' });
    expect(await failure(caller.pause({ id: schedule.id }))).toEqual({ code: 'CONFLICT' });
    const back = await caller.unquarantine({ id: schedule.id });
    expect(back).toMatchObject({ status: 'active', consecutiveFailures: 0, quarantinedAt: null });

    const updated = await caller.update({
      id: schedule.id,
      kind: 'cron',
      cronExpr: '0 */6 * * *',
      maxAttempts: 5,
    });
    expect(updated).toMatchObject({
      kind: 'cron',
      cronExpr: '0 */6 * * *',
      intervalSeconds: null,
      maxAttempts: 5,
    });
    expect(updated.nextRunAt!.getUTCHours() % 6).toBe(0);

    const entries = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id', 'resource_type', 'resource_id'])
      .where('org_id', '=', PLATFORM_AUDIT_CHAIN)
      .where('resource_id', '=', schedule.id)
      .orderBy('seq')
      .execute();
    expect(entries.map((entry) => entry.action)).toEqual([
      'scheduler.schedule.created',
      'scheduler.schedule.paused',
      'scheduler.schedule.resumed',
      'scheduler.schedule.triggered',
      'scheduler.schedule.unquarantined',
      'scheduler.schedule.updated',
    ]);
    expect(entries.every((entry) => entry.actor_id === OPERATOR && entry.resource_type === 'schedule')).toBe(
      true,
    );
  });

  it('refuses to edit a built-in schedule (422) but lets operators pause it', async () => {
    const builtIn = await t.db
      .insertInto('schedules')
      .values({
        name: 'some-built-in',
        handler: 'maintenance.event-retention',
        kind: 'cron',
        cron_expr: '0 3 * * *',
        payload: '{}',
        builtin: true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await failure(operator().update({ id: builtIn.id, cronExpr: '0 4 * * *' }))).toEqual({
      code: 'UNPROCESSABLE',
    });
    expect(await operator().pause({ id: builtIn.id })).toMatchObject({ status: 'paused', builtin: true });
  });

  it('lists schedules and runs with cursors', async () => {
    const caller = operator();
    const first = await caller.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await caller.list({ limit: 2, cursor: first.nextCursor! });
    expect(second.items[0]!.name > first.items[1]!.name).toBe(true);

    const schedule = first.items[0]!;
    const at = new Date('2026-01-01T00:00:00.000Z');
    await t.db
      .insertInto('schedule_runs')
      .values(
        [1, 2, 3].map((attempt) => ({
          schedule_id: schedule.id,
          scheduled_for: at,
          attempt,
          node_id: 'n1',
          fencing_token: attempt,
          started_at: at,
          finished_at: new Date(at.getTime() + 250),
          status: attempt === 3 ? ('succeeded' as const) : ('failed' as const),
          error: attempt === 3 ? null : 'boom',
        })),
      )
      .execute();
    const page = await caller.runs({ scheduleId: schedule.id, limit: 2 });
    expect(page.items.map((run) => [run.attempt, run.status, run.durationMs])).toEqual([
      [3, 'succeeded', 250],
      [2, 'failed', 250],
    ]);
    const rest = await caller.runs({ scheduleId: schedule.id, limit: 2, cursor: page.nextCursor! });
    expect(rest.items.map((run) => run.attempt)).toEqual([1]);
    expect(rest.nextCursor).toBeNull();

    // The list carries each schedule's latest run (before its first: null).
    expect(schedule.lastRun).toBeNull();
    const listed = (await caller.list({ limit: 2 })).items.find((item) => item.id === schedule.id);
    expect(listed?.lastRun).toEqual({
      status: 'succeeded',
      error: null,
      startedAt: at,
      finishedAt: new Date(at.getTime() + 250),
    });
  });

  it('deletes a schedule with its runs (audited), refuses a built-in one and one that is running', async () => {
    const caller = operator();
    const doomed = await caller.create({ ...nightly, name: 'delete-me' });
    await t.db
      .insertInto('schedule_runs')
      .values({
        schedule_id: doomed.id,
        scheduled_for: new Date(),
        attempt: 1,
        node_id: 'test',
        fencing_token: 1,
        started_at: new Date(),
        status: 'running',
      })
      .execute();
    expect(await failure(caller.delete({ id: doomed.id }))).toEqual({ code: 'CONFLICT' });
    await t.db.updateTable('schedule_runs').set({ status: 'succeeded', finished_at: new Date() }).execute();
    expect(await caller.delete({ id: doomed.id })).toEqual({
      id: doomed.id,
      name: 'delete-me',
      deleted: true,
    });
    expect(await failure(caller.get({ id: doomed.id }))).toEqual({ code: 'NOT_FOUND' });
    expect(
      await t.db.selectFrom('schedule_runs').select('id').where('schedule_id', '=', doomed.id).execute(),
    ).toEqual([]);
    const entry = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'payload'])
      .where('org_id', '=', PLATFORM_AUDIT_CHAIN)
      .where('resource_id', '=', doomed.id)
      .where('action', '=', 'scheduler.schedule.deleted')
      .executeTakeFirstOrThrow();
    expect(entry.payload).toMatchObject({ name: 'delete-me', runs: 1 });
    expect(await failure(caller.delete({ id: doomed.id }))).toEqual({ code: 'NOT_FOUND' });

    const builtin = await caller.create({ ...nightly, name: 'pretend-builtin' });
    await t.db.updateTable('schedules').set({ builtin: true }).where('id', '=', builtin.id).execute();
    expect(await failure(caller.delete({ id: builtin.id }))).toEqual({ code: 'UNPROCESSABLE' });
  });

  it('reads a timing in plain words with its next runs in the schedule’s time zone', async () => {
    const preview = await operator().preview({
      kind: 'cron',
      cronExpr: '30 2 * * *',
      timezone: 'Europe/Berlin',
    });
    expect(preview.description).toBe('every day at 02:30, Europe/Berlin time');
    expect(preview.nextRuns).toHaveLength(5);
    for (const run of preview.nextRuns) {
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        hour: '2-digit',
        minute: '2-digit',
      }).format(run);
      expect(local).toBe('02:30');
    }
    expect(await failure(operator().preview({ kind: 'cron', cronExpr: '99 2 * * *' }))).toMatchObject({
      code: 'VALIDATION_ERROR',
      fieldErrors: { cronExpr: [expect.stringContaining('Cron expression')] },
    });
  });
});
