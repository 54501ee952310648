import { useTestDatabase } from '@atrium/testkit';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/platform/clock.ts';
import { silentLog } from '../../src/platform/logger.ts';
import { createPostgresRealtimePublisher } from '../../src/realtime/publishers.ts';
import { BUILT_IN_HANDLERS, builtInScheduleHandlers } from '../../src/scheduling/built-in-handlers.ts';
import type { ScheduleHandlerContext } from '../../src/scheduling/handlers.ts';
import { outOfBand, seedChain } from '../audit/helpers.ts';

const NOW = new Date('2026-04-20T12:00:00.000Z');

describe('built-in schedule handlers', () => {
  const t = useTestDatabase();

  it('the audit integrity report flags a broken chain in the org’s own audit log and keeps anchors', async () => {
    const intact = await seedChain(t.db, 'intact-org', 3);
    const broken = await seedChain(t.db, 'broken-org', 4);
    await outOfBand(
      t.db,
      sql`UPDATE audit_entries SET resource_id = 'edited' WHERE org_id = ${broken} AND seq = 2`,
    );
    const schedule = await t.db
      .insertInto('schedules')
      .values({
        name: 'integrity-test',
        handler: BUILT_IN_HANDLERS.auditIntegrityReport,
        kind: 'cron',
        cron_expr: '0 3 * * *',
        payload: '{}',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const errors: Array<Record<string, unknown>> = [];
    const handler = builtInScheduleHandlers().find((h) => h.name === BUILT_IN_HANDLERS.auditIntegrityReport)!;
    const context: ScheduleHandlerContext = {
      scheduleId: schedule.id,
      scheduleName: 'integrity-test',
      payload: {},
      signal: new AbortController().signal,
      scheduledFor: NOW,
      attempt: 1,
      logger: { ...silentLog, error: (fields) => errors.push(fields) },
      db: t.db,
      clock: manualClock(NOW),
      realtime: createPostgresRealtimePublisher(t.db),
    };
    const result = (await handler.run(context)) as Record<string, unknown>;
    expect(result).toMatchObject({
      ok: false,
      broken: [{ orgId: broken, firstBrokenSeq: 2 }],
      anchors: expect.arrayContaining([expect.objectContaining({ orgId: intact, seq: 3 })]),
    });
    expect(errors).toEqual([expect.objectContaining({ orgId: broken, firstBrokenSeq: 2 })]);
    const flag = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'payload'])
      .where('org_id', '=', broken)
      .where('action', '=', 'audit.integrity_failed')
      .executeTakeFirstOrThrow();
    expect(flag.payload).toMatchObject({ firstBrokenSeq: 2 });

    // Logged as the platform's own failure, which the built-in rule turns into the org's incident.
    const logged = await t.db
      .selectFrom('log_events')
      .select(['source', 'level', 'attributes'])
      .where('org_id', '=', broken)
      .execute();
    expect(logged).toEqual([
      expect.objectContaining({
        source: 'platform.audit',
        level: 50,
        attributes: expect.objectContaining({ firstBrokenSeq: 2 }),
      }),
    ]);
    const incidents = await t.db
      .selectFrom('incidents')
      .select(['org_id', 'built_in', 'status'])
      .where('org_id', 'in', [broken, intact])
      .execute();
    expect(incidents).toEqual([{ org_id: broken, built_in: true, status: 'open' }]);
    const announced = await t.db
      .selectFrom('outbox_events')
      .select('type')
      .where('org_id', '=', broken)
      .where('type', '=', 'IncidentOpened')
      .execute();
    expect(announced).toHaveLength(1);
  });
});
