import type { Database } from '@atrium/db';
import {
  defineCatalogue,
  defineEvent,
  defineEventQueue,
  type EventDefinition,
  writeOutboxEvent,
} from '@atrium/domain';
import { ensureQueues, outboxJobId } from '@atrium/jobs';
import { createMetricsRegistry } from '@atrium/observability';
import { metricValue, sleep, useTestDatabase, waitFor } from '@atrium/testkit';
import { jobsOf, startTestBoss } from '@atrium/testkit/factories';
import { type Kysely, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOutboxRelay, createRelayMetrics, type OutboxRelay, outboxBacklog } from '../src/relay.ts';

const OrderPlaced = defineEvent('OrderPlaced', z.object({ orderId: z.string(), n: z.number().int() }));
const OrderCancelled = defineEvent('OrderCancelled', z.object({ orderId: z.string() }));
const OrderAudited = defineEvent('OrderAudited', z.object({ orderId: z.string() }));

const catalogue = defineCatalogue(
  defineEventQueue({ name: 'test.billing', events: [OrderPlaced, OrderCancelled] }),
  defineEventQueue({ name: 'test.shipping', events: [OrderPlaced], ordered: true }),
);
// A subscriber whose pg-boss queue does not exist yet: its fan-out fails until an operator creates it.
const withGhost = defineCatalogue(
  ...Object.values(catalogue),
  defineEventQueue({ name: 'test.ghost', events: [OrderAudited] }),
);

async function place(db: Kysely<Database>, orderId: string, n: number, type: EventDefinition = OrderPlaced) {
  return db.transaction().execute((trx) =>
    writeOutboxEvent(trx, {
      orgId: null,
      type,
      aggregateType: 'order',
      aggregateId: orderId,
      payload: { orderId, n },
    }),
  );
}

describe('outbox relay', { timeout: 15_000 }, () => {
  const t = useTestDatabase();
  let boss: PgBoss;
  const relays: OutboxRelay[] = [];
  const relay = (options: Partial<Parameters<typeof createOutboxRelay>[0]> = {}) => {
    const created = createOutboxRelay({ db: t.db, boss, catalogue, batchSize: 50, ...options });
    relays.push(created);
    return created;
  };

  beforeAll(async () => {
    boss = await startTestBoss(t.url);
    await ensureQueues(boss, catalogue);
  });
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await boss.stop({ graceful: false });
  });
  beforeEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await sql`TRUNCATE outbox_events`.execute(t.db);
    await sql`DELETE FROM pgboss.job`.execute(t.db);
  });

  it('enqueues nothing for a rolled-back transaction', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await writeOutboxEvent(trx, {
          orgId: null,
          type: OrderPlaced,
          aggregateType: 'order',
          aggregateId: 'o-rolled-back',
          payload: { orderId: 'o-rolled-back', n: 1 },
        });
        throw new Error('state change failed');
      }),
    ).rejects.toThrow();
    expect(await relay().relayBatch()).toEqual({ claimed: 0, published: 0, deferred: 0, failed: 0 });
    expect(await jobsOf(t.db, 'test.billing', 'test.shipping')).toEqual([]);
  });

  it('fans each event out to every subscriber once, with ids derived from event and queue', async () => {
    const placed = await place(t.db, 'o-1', 1);
    const cancelled = await place(t.db, 'o-1', 2, OrderCancelled);
    const result = await relay().relayBatch();
    expect(result).toEqual({ claimed: 2, published: 2, deferred: 0, failed: 0 });

    const jobs = await jobsOf(t.db, 'test.billing', 'test.shipping');
    expect(jobs.map((j) => [j.name, j.id]).sort()).toEqual(
      [
        ['test.billing', outboxJobId(placed, 'test.billing')],
        ['test.billing', outboxJobId(cancelled, 'test.billing')],
        ['test.shipping', outboxJobId(placed, 'test.shipping')],
      ].sort(),
    );
    const shipping = jobs.find((j) => j.name === 'test.shipping');
    expect(shipping?.singleton_key).toBe('order:o-1');
    expect(shipping?.data).toMatchObject({
      eventId: placed.id,
      seq: placed.seq,
      type: 'OrderPlaced',
      orgId: null,
      aggregateType: 'order',
      aggregateId: 'o-1',
      payload: { orderId: 'o-1', n: 1 },
    });
    const rows = await t.db.selectFrom('outbox_events').select(['published_at', 'attempts']).execute();
    expect(rows.every((r) => r.published_at !== null && r.attempts === 0)).toBe(true);
    expect(await relay().relayBatch()).toMatchObject({ claimed: 0 });
  });

  it('does not enqueue again when published_at is reset: the same job ids are dropped', async () => {
    const placed = await place(t.db, 'o-2', 1);
    await relay().relayBatch();
    const before = await jobsOf(t.db, 'test.billing', 'test.shipping');
    await t.db.updateTable('outbox_events').set({ published_at: null }).where('id', '=', placed.id).execute();
    expect(await relay().relayBatch()).toMatchObject({ claimed: 1, published: 1 });
    expect(await jobsOf(t.db, 'test.billing', 'test.shipping')).toEqual(before);
  });

  it('leaves nothing behind when interrupted after enqueuing, records the attempt, and succeeds on re-run', async () => {
    const placed = await place(t.db, 'o-3', 1);
    let seenInFlight = 0;
    const faulty = relay({
      hooks: {
        beforeCommit: async () => {
          // The jobs exist inside the relay transaction at this point…
          seenInFlight = (await jobsOf(t.db, 'test.billing', 'test.shipping')).length;
          throw new Error('relay crashed before commit');
        },
      },
    });
    await expect(faulty.relayBatch()).rejects.toThrow('relay crashed before commit');
    // …but not outside it, and they did not survive the rollback.
    expect(seenInFlight).toBe(0);
    expect(await jobsOf(t.db, 'test.billing', 'test.shipping')).toEqual([]);
    const row = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('id', '=', placed.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ published_at: null, attempts: 1 });
    expect(row.last_error).toContain('relay crashed before commit');

    expect(await relay().relayBatch()).toMatchObject({ published: 1, failed: 0 });
    const jobs = await jobsOf(t.db, 'test.billing', 'test.shipping');
    expect(jobs.map((j) => j.id).sort()).toEqual(
      [outboxJobId(placed, 'test.billing'), outboxJobId(placed, 'test.shipping')].sort(),
    );
  });

  it('isolates an event whose fan-out fails: others proceed, its aggregate waits, order is kept', async () => {
    const a1 = await place(t.db, 'o-a', 1);
    const a2 = await place(t.db, 'o-a', 2, OrderAudited);
    const a3 = await place(t.db, 'o-a', 3);
    const b1 = await place(t.db, 'o-b', 1);
    const ghostly = relay({ catalogue: withGhost });

    // The fast path fails as a whole (nothing committed) and marks the batch for the careful path…
    await expect(ghostly.relayBatch()).rejects.toThrow(/test\.ghost/);
    expect(await jobsOf(t.db, 'test.billing', 'test.shipping')).toEqual([]);
    // …which publishes around the poison event and holds back the rest of its aggregate.
    expect(await ghostly.relayBatch()).toEqual({ claimed: 4, published: 2, deferred: 1, failed: 1 });
    const published = await t.db
      .selectFrom('outbox_events')
      .select(['id'])
      .where('published_at', 'is not', null)
      .execute();
    expect(published.map((r) => r.id).sort()).toEqual([a1.id, b1.id].sort());
    const poison = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('id', '=', a2.id)
      .executeTakeFirstOrThrow();
    expect(poison.attempts).toBe(2);
    expect(poison.last_error).toMatch(/test\.ghost/);
    expect(await outboxBacklog(t.db)).toMatchObject({ pending: 2, failing: 2 });

    // An operator creates the missing queue; the aggregate resumes in order.
    await ensureQueues(boss, withGhost);
    expect(await ghostly.relayBatch()).toEqual({ claimed: 2, published: 2, deferred: 0, failed: 0 });
    const shipping = await jobsOf(t.db, 'test.shipping');
    expect(shipping.filter((j) => j.singleton_key === 'order:o-a').map((j) => j.data.eventId)).toEqual([
      a1.id,
      a3.id,
    ]);
    expect((await jobsOf(t.db, 'test.ghost')).map((j) => j.data.eventId)).toEqual([a2.id]);
  });

  it('keeps per-aggregate order with two relays running concurrently over many events', async () => {
    const aggregates = Array.from({ length: 8 }, (_, i) => `o-many-${i}`);
    const perAggregate = 25;
    const registries = [createMetricsRegistry('relay-1'), createMetricsRegistry('relay-2')];
    const [first, second] = registries.map((registry, i) =>
      relay({ batchSize: 7 - 2 * i, pollIntervalMs: 50, metrics: createRelayMetrics(registry) }),
    );
    // One writer per aggregate (writers of one aggregate serialise), all aggregates at once: a
    // backlog before the relays start, so their first batches collide, then more while they run.
    const write = (from: number, to: number) =>
      Promise.all(
        aggregates.map(async (orderId) => {
          for (let n = from; n <= to; n++) await place(t.db, orderId, n);
        }),
      );
    await write(1, 10);
    await Promise.all([first?.start(), second?.start()]);
    await write(11, perAggregate);
    await waitFor(async () => (await outboxBacklog(t.db)).pending === 0, { what: 'the backlog to drain' });

    // Both relays did publish, and at least once one held events back behind the other.
    const counters = await Promise.all(
      registries.map(async (registry) => {
        const text = await registry.metrics();
        return {
          relayed: metricValue(text, 'atrium_outbox_events_relayed_total', { type: 'OrderPlaced' }) ?? 0,
          deferred: metricValue(text, 'atrium_outbox_events_deferred_total') ?? 0,
        };
      }),
    );
    expect(counters.every((c) => c.relayed > 0)).toBe(true);
    expect(counters.reduce((sum, c) => sum + c.relayed, 0)).toBe(aggregates.length * perAggregate);
    expect(counters.reduce((sum, c) => sum + c.deferred, 0)).toBeGreaterThan(0);

    // No event became visible to workers before an earlier one of its aggregate: publication (the
    // relay commit) follows seq within every aggregate…
    const events = await t.db
      .selectFrom('outbox_events')
      .select(['aggregate_id', 'seq', 'published_at'])
      .orderBy('seq')
      .execute();
    for (const orderId of aggregates) {
      const times = events
        .filter((e) => e.aggregate_id === orderId)
        .map((e) => e.published_at?.getTime() ?? 0);
      expect(times).toEqual([...times].sort((x, y) => x - y));
    }
    // …and the order key_strict_fifo hands an aggregate's jobs out in (created_on, then id) is seq order.
    const jobs = await jobsOf(t.db, 'test.shipping');
    expect(jobs).toHaveLength(aggregates.length * perAggregate);
    for (const orderId of aggregates) {
      const sequence = jobs
        .filter((j) => j.singleton_key === `order:${orderId}`)
        .sort((x, y) => x.created_on.getTime() - y.created_on.getTime() || (x.id < y.id ? -1 : 1))
        .map((j) => Number((j.data.payload as { n: number }).n));
      expect(sequence).toEqual(Array.from({ length: perAggregate }, (_, i) => i + 1));
    }
  });

  it('defers an event whose predecessor was published by a transaction that overlapped its own', async () => {
    const e1 = await place(t.db, 'o-overlap', 1);
    const e2 = await place(t.db, 'o-overlap', 2);
    const other = relay({ batchSize: 1 });
    // This relay's transaction begins, then another relay publishes e1 and commits before the claim:
    // e2's jobs would carry a created_on (our start) older than e1's, and key_strict_fifo would run
    // e2 first. The relay must leave e2 to a transaction that begins after e1's.
    const late = relay({ hooks: { afterBegin: () => other.relayBatch().then(() => {}) } });
    expect(await late.relayBatch()).toEqual({ claimed: 1, published: 0, deferred: 1, failed: 0 });
    const retry = relay();
    expect(await retry.relayBatch()).toEqual({ claimed: 1, published: 1, deferred: 0, failed: 0 });
    const shipping = await jobsOf(t.db, 'test.shipping');
    expect(shipping.map((j) => j.data.eventId)).toEqual([e1.id, e2.id]);
    expect(shipping[0]?.created_on.getTime()).toBeLessThan(shipping[1]?.created_on.getTime() ?? 0);
  });

  it('wakes on NOTIFY rather than waiting for its poll, and reconnects a lost LISTEN session', async () => {
    const listening = relay({ listenConnectionString: t.url, pollIntervalMs: 60_000 });
    await listening.start();
    expect(listening.listening()).toBe(true);

    const delivered = async (eventId: string) => {
      const started = Date.now();
      await waitFor(
        async () => (await jobsOf(t.db, 'test.billing')).some((j) => j.data.eventId === eventId),
        {
          timeoutMs: 3_000,
          intervalMs: 5,
          what: 'the relay to publish',
        },
      );
      return Date.now() - started;
    };
    expect(await delivered((await place(t.db, 'o-notify', 1)).id)).toBeLessThan(1_000);

    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = 'atrium-outbox-relay' AND datname = current_database()`.execute(t.db);
    await waitFor(() => !listening.listening(), { what: 'the relay to notice' });
    await waitFor(() => listening.listening(), { what: 'the relay to reconnect' });
    await sleep(50);
    expect(await delivered((await place(t.db, 'o-notify', 2)).id)).toBeLessThan(1_000);
  });
});
