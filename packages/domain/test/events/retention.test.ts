import { useTestDatabase } from '@atrium/testkit';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { purgeEventRetention } from '../../src/events/retention.ts';

const NOW = new Date('2026-04-20T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 24 * 60 * 60 * 1000);

describe('outbox and inbox retention (built-in schedule maintenance.event-retention)', () => {
  const t = useTestDatabase();

  it('deletes published outbox events and inbox rows past the retention, never pending ones', async () => {
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
});
