import { useTestDatabase } from '@atrium/testkit';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { consumeOnce } from '../../src/index.ts';

describe('consumeOnce', () => {
  const t = useTestDatabase();
  const effects = () => t.db.withTables<{ effects: { event_id: string; note: string } }>();

  beforeAll(async () => {
    await sql`CREATE TABLE effects (event_id uuid NOT NULL, note text NOT NULL)`.execute(t.db);
  });

  const countEffects = async (eventId: string) =>
    (await effects().selectFrom('effects').select('note').where('event_id', '=', eventId).execute()).length;

  it('runs the effects once per consumer and event, in the inbox transaction', async () => {
    const eventId = crypto.randomUUID();
    const write = (note: string) =>
      consumeOnce(t.db, { consumer: 'search.index', eventId }, async (trx) => {
        await trx
          .withTables<{ effects: { event_id: string; note: string } }>()
          .insertInto('effects')
          .values({ event_id: eventId, note })
          .execute();
        return note;
      });
    expect(await write('first')).toEqual({ processed: true, result: 'first' });
    expect(await write('second')).toEqual({ processed: false });
    expect(await countEffects(eventId)).toBe(1);
    // Another consumer of the same event has its own inbox entry.
    expect(await consumeOnce(t.db, { consumer: 'notifications', eventId }, async () => 'other')).toEqual({
      processed: true,
      result: 'other',
    });
  });

  it('forgets the event when the effects fail, so the next delivery runs them', async () => {
    const eventId = crypto.randomUUID();
    await expect(
      consumeOnce(t.db, { consumer: 'c', eventId }, async (trx) => {
        await trx
          .withTables<{ effects: { event_id: string; note: string } }>()
          .insertInto('effects')
          .values({ event_id: eventId, note: 'partial' })
          .execute();
        throw new Error('downstream failed');
      }),
    ).rejects.toThrow('downstream failed');
    expect(await countEffects(eventId)).toBe(0);
    expect(await consumeOnce(t.db, { consumer: 'c', eventId }, async () => 'ok')).toEqual({
      processed: true,
      result: 'ok',
    });
  });

  it('lets exactly one of many concurrent deliveries through', async () => {
    const eventId = crypto.randomUUID();
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        consumeOnce(t.db, { consumer: 'race', eventId }, async (trx) => {
          // Hold the transaction open so the others queue up on the inbox row.
          await new Promise((r) => setTimeout(r, 50));
          await trx
            .withTables<{ effects: { event_id: string; note: string } }>()
            .insertInto('effects')
            .values({ event_id: eventId, note: `delivery ${i}` })
            .execute();
        }),
      ),
    );
    expect(outcomes.filter((o) => o.processed)).toHaveLength(1);
    expect(await countEffects(eventId)).toBe(1);
  });
});
