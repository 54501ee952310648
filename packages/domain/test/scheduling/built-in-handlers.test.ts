import { useTestDatabase } from '@atrium/testkit';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/platform/clock.ts';
import { silentLog } from '../../src/platform/logger.ts';
import { createPostgresRealtimePublisher } from '../../src/realtime/publishers.ts';
import {
  BUILT_IN_HANDLERS,
  builtInScheduleHandlers,
  cleanupExpiredCredentials,
  purgeEventRetention,
} from '../../src/scheduling/built-in-handlers.ts';
import type { ScheduleHandlerContext } from '../../src/scheduling/handlers.ts';
import { createOrg, outOfBand, seedChain } from '../audit/helpers.ts';

const NOW = new Date('2026-04-20T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 24 * 60 * 60 * 1000);
const inDays = (days: number) => new Date(NOW.getTime() + days * 24 * 60 * 60 * 1000);

describe('built-in schedule handlers', () => {
  const t = useTestDatabase();

  it('credential cleanup deletes only spent credentials older than the retention', async () => {
    const orgId = await createOrg(t.db, 'cleanup-org');
    const user = await t.db
      .insertInto('users')
      .values({ org_id: orgId, email: 'cleanup@example.test', name: 'C' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const token = (hash: string, fields: Record<string, Date | null>) => ({
      user_id: user.id,
      org_id: orgId,
      family_id: crypto.randomUUID(),
      token_hash: hash,
      expires_at: inDays(30),
      ...fields,
    });
    await t.db
      .insertInto('refresh_tokens')
      .values([
        token('expired-long-ago', { expires_at: daysAgo(8) }),
        token('revoked-long-ago', { revoked_at: daysAgo(8) }),
        token('expired-recently', { expires_at: daysAgo(1) }),
        token('rotated-but-live', { rotated_at: daysAgo(20) }), // reuse detection needs it
        token('live', {}),
      ])
      .execute();
    await t.db
      .insertInto('email_verification_codes')
      .values([
        { user_id: user.id, org_id: orgId, code_hash: 'old', expires_at: daysAgo(10) },
        {
          user_id: user.id,
          org_id: orgId,
          code_hash: 'consumed',
          expires_at: inDays(1),
          consumed_at: daysAgo(9),
        },
        { user_id: user.id, org_id: orgId, code_hash: 'fresh', expires_at: inDays(1) },
      ])
      .execute();
    await t.db
      .insertInto('password_reset_tokens')
      .values([
        { user_id: user.id, org_id: orgId, token_hash: 'used', expires_at: inDays(1), used_at: daysAgo(8) },
        { user_id: user.id, org_id: orgId, token_hash: 'valid', expires_at: inDays(1) },
      ])
      .execute();

    const deleted = await cleanupExpiredCredentials(t.db, { now: NOW, retentionDays: 7, batchSize: 1 });
    expect(deleted).toEqual({ refreshTokens: 2, emailVerificationCodes: 2, passwordResetTokens: 1 });
    const left = await t.db.selectFrom('refresh_tokens').select('token_hash').orderBy('token_hash').execute();
    expect(left.map((r) => r.token_hash)).toEqual(['expired-recently', 'live', 'rotated-but-live']);
  });

  it('event retention deletes published outbox events and inbox rows past the retention, never pending ones', async () => {
    const event = (id: string, createdAt: Date, publishedAt: Date | null) =>
      sql`INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, created_at, published_at)
          VALUES (${id}, 'Test', 'test', 't', ${createdAt}, ${publishedAt})`.execute(t.db);
    const oldPublished = crypto.randomUUID();
    const recentPublished = crypto.randomUUID();
    const oldPending = crypto.randomUUID();
    await event(oldPublished, daysAgo(9), daysAgo(8));
    await event(recentPublished, daysAgo(2), daysAgo(2));
    await event(oldPending, daysAgo(30), null);
    await t.db
      .insertInto('inbox')
      .values([
        { consumer: 'c', event_id: oldPublished, processed_at: daysAgo(8) },
        { consumer: 'c', event_id: recentPublished, processed_at: daysAgo(2) },
      ])
      .execute();

    expect(await purgeEventRetention(t.db, { now: NOW, retentionDays: 7 })).toEqual({
      outboxEvents: 1,
      inboxRows: 1,
    });
    const outbox = await t.db.selectFrom('outbox_events').select('id').execute();
    expect(outbox.map((r) => r.id).sort()).toEqual([recentPublished, oldPending].sort());
  });

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
  });
});
