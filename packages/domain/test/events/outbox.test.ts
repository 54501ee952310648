import { useTestDatabase } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../src/errors.ts';
import { defineEvent, findEventDefinition, OUTBOX_CHANNEL, writeOutboxEvent } from '../../src/index.ts';

const WidgetRenamed = defineEvent(
  'WidgetRenamed',
  z.object({ widgetId: z.string(), name: z.string().min(1) }),
);

describe('writeOutboxEvent', () => {
  const t = useTestDatabase();

  it('writes the validated payload in the caller transaction', async () => {
    const written = await t.db.transaction().execute((trx) =>
      writeOutboxEvent(trx, {
        orgId: null,
        type: WidgetRenamed,
        aggregateType: 'widget',
        aggregateId: 'w-1',
        // Unknown keys are stripped by the schema: the outbox holds exactly the declared shape.
        payload: { widgetId: 'w-1', name: 'Blue', extra: true } as { widgetId: string; name: string },
      }),
    );
    const row = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('id', '=', written.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      type: 'WidgetRenamed',
      aggregate_type: 'widget',
      aggregate_id: 'w-1',
      payload: { widgetId: 'w-1', name: 'Blue' },
      published_at: null,
      attempts: 0,
      last_error: null,
    });
    expect(row.seq).toBe(written.seq);
  });

  it('accepts a registered type name', async () => {
    expect(findEventDefinition('WidgetRenamed')).toBe(WidgetRenamed);
    const written = await t.db.transaction().execute((trx) =>
      writeOutboxEvent(trx, {
        orgId: null,
        type: 'WidgetRenamed',
        aggregateType: 'widget',
        aggregateId: 'w-2',
        payload: { widgetId: 'w-2', name: 'Green' },
      }),
    );
    expect(written.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an invalid payload or an unknown type, and the unit of work fails with it', async () => {
    const before = await countEvents();
    await expect(
      t.db.transaction().execute(async (trx) => {
        await trx.insertInto('orgs').values({ slug: 'acme', name: 'Acme' }).execute();
        await writeOutboxEvent(trx, {
          orgId: null,
          type: WidgetRenamed,
          aggregateType: 'widget',
          aggregateId: 'w-3',
          payload: { widgetId: 'w-3', name: '' },
        });
      }),
    ).rejects.toMatchObject({ code: 'INTERNAL', details: { eventType: 'WidgetRenamed' } });
    await expect(
      t.db.transaction().execute((trx) =>
        writeOutboxEvent(trx, {
          orgId: null,
          type: 'NoSuchEvent',
          aggregateType: 'x',
          aggregateId: '1',
          payload: {},
        }),
      ),
    ).rejects.toBeInstanceOf(AppError);
    expect(await countEvents()).toBe(before);
    expect(
      await t.db.selectFrom('orgs').select('id').where('slug', '=', 'acme').executeTakeFirst(),
    ).toBeUndefined();
  });

  it('refuses to run outside a transaction', async () => {
    await expect(
      // biome-ignore lint/suspicious/noExplicitAny: proving the runtime guard behind the type
      writeOutboxEvent(t.db as any, {
        orgId: null,
        type: WidgetRenamed,
        aggregateType: 'widget',
        aggregateId: 'w-4',
        payload: { widgetId: 'w-4', name: 'Red' },
      }),
    ).rejects.toThrow(/inside the transaction/);
  });

  it('leaves no row when the transaction rolls back', async () => {
    const before = await countEvents();
    await expect(
      t.db.transaction().execute(async (trx) => {
        await writeOutboxEvent(trx, {
          orgId: null,
          type: WidgetRenamed,
          aggregateType: 'widget',
          aggregateId: 'w-5',
          payload: { widgetId: 'w-5', name: 'Gone' },
        });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await countEvents()).toBe(before);
  });

  it(`notifies ${OUTBOX_CHANNEL} on commit only, once per transaction`, async () => {
    const listener = await t.pool.connect();
    const received: string[] = [];
    listener.on('notification', (n) => received.push(n.channel));
    await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    try {
      await t.db
        .transaction()
        .execute(async (trx) => {
          await writeOutboxEvent(trx, {
            orgId: null,
            type: WidgetRenamed,
            aggregateType: 'widget',
            aggregateId: 'w-6',
            payload: { widgetId: 'w-6', name: 'Rolled back' },
          });
          throw new Error('rollback');
        })
        .catch(() => {});
      await t.db.transaction().execute(async (trx) => {
        for (const name of ['One', 'Two', 'Three']) {
          await writeOutboxEvent(trx, {
            orgId: null,
            type: WidgetRenamed,
            aggregateType: 'widget',
            aggregateId: 'w-7',
            payload: { widgetId: 'w-7', name },
          });
        }
        await new Promise((r) => setTimeout(r, 100));
        expect(received).toEqual([]);
      });
      await waitUntil(() => received.length > 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(received).toEqual([OUTBOX_CHANNEL]);
    } finally {
      await listener.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
      listener.release();
    }
  });

  async function countEvents(): Promise<number> {
    const { n } = await t.db
      .selectFrom('outbox_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }
});

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
