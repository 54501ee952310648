import type { Database } from '@atrium/db';
import { ValidationError } from '@atrium/domain/errors';
import type { RealtimeEvent } from '@atrium/domain/realtime/port';
import {
  createPostgresRealtimePublisher,
  createRedisRealtimePublisher,
  type RealtimePublisherAdapter,
} from '@atrium/domain/realtime/publishers';
import { NOTIFY_PAYLOAD_LIMIT_BYTES } from '@atrium/domain/realtime/wire';
import { createLogger } from '@atrium/observability';
import { redisAvailable, useTestDatabase, useTestRedis, waitFor } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeFeed } from '../src/realtime/feed.ts';
import { createPostgresRealtimeFeed } from '../src/realtime/postgres-feed.ts';
import { createRedisRealtimeFeed } from '../src/realtime/redis-feed.ts';

const logger = createLogger({ name: 'realtime-contract', level: 'silent' });
/** Small, so the buffer rolls over within a test. */
const BUFFER = 5;

interface Transport {
  publisher: RealtimePublisherAdapter;
  feed: RealtimeFeed;
  /** Drops the feed's subscription connection the way a network failure would. */
  dropSubscription(): Promise<void>;
  close(): Promise<void>;
}

interface Harness {
  kind: 'redis' | 'postgres';
  make(db: Kysely<Database>, databaseUrl: string): Promise<Transport>;
}

const connectionTag = () => `atrium-rt-test-${Math.random().toString(36).slice(2, 10)}`;

function redisHarness(redis: { url: string; prefix: string }): Harness {
  return {
    kind: 'redis',
    async make() {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      const name = connectionTag();
      const prefix = `${redis.prefix}${name}:`;
      return {
        publisher: createRedisRealtimePublisher(client, { prefix, bufferSize: BUFFER }),
        feed: createRedisRealtimeFeed({
          url: redis.url,
          prefix,
          redis: client,
          logger,
          connectionName: name,
        }),
        async dropSubscription() {
          const list = String(await client.call('CLIENT', 'LIST'));
          for (const line of list.split('\n')) {
            if (!line.includes(`name=${name}`)) continue;
            const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
            if (id) await client.call('CLIENT', 'KILL', 'ID', id);
          }
        },
        async close() {
          client.disconnect();
        },
      };
    },
  };
}

const postgresHarness: Harness = {
  kind: 'postgres',
  async make(db, databaseUrl) {
    const name = connectionTag();
    return {
      publisher: createPostgresRealtimePublisher(db),
      feed: createPostgresRealtimeFeed({
        connectionString: databaseUrl,
        db,
        logger,
        bufferSize: BUFFER,
        applicationName: name,
      }),
      async dropSubscription() {
        await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${name}`.execute(
          db,
        );
      },
      async close() {},
    };
  },
};

/**
 * One contract, two transports (SPEC §2: Redis pub/sub when configured, else PostgreSQL NOTIFY): what
 * a publisher sends, a feed receives — every org's events in order, with replay after a known id —
 * and both refuse the same bad events.
 */
function contract(label: string, harness: () => Harness, skip: boolean) {
  describe.skipIf(skip)(`realtime transport contract: ${label}`, () => {
    const t = useTestDatabase();
    let transport: Transport;
    const received: RealtimeEvent[] = [];
    const gaps: Array<'all' | readonly string[]> = [];
    const active = new Set<string>();
    let orgA: string;
    let orgB: string;

    beforeAll(async () => {
      orgA = (await createTestOrg(t.db, { name: 'rt-a', bare: true })).id;
      orgB = (await createTestOrg(t.db, { name: 'rt-b', bare: true })).id;
      transport = await harness().make(t.db, t.url);
      await transport.feed.start({
        event: (event) => received.push(event),
        gap: (orgs) => gaps.push(orgs),
        activeOrgs: () => active,
      });
      expect(transport.feed.connected()).toBe(true);
    });
    afterAll(async () => {
      await transport?.feed.stop();
      await transport?.close();
    });
    afterEach(() => {
      received.length = 0;
      gaps.length = 0;
      active.clear();
    });

    const publishMany = async (orgId: string, count: number, type = 'space.updated') => {
      for (let i = 0; i < count; i += 1) {
        await transport.publisher.publish({ orgId, type, payload: { n: i } });
      }
    };
    const ofOrg = (orgId: string) => received.filter((event) => event.orgId === orgId);

    it('delivers every org’s events in publish order, with id, time, type, payload and audience', async () => {
      const before = Date.now();
      await transport.publisher.publish({
        orgId: orgA,
        type: 'person.assigned',
        payload: { personId: 'p-1', nested: { list: [], empty: {} } },
        audience: { userIds: ['7d4f7c8e-5a0b-4b8e-9d0a-1c2b3d4e5f60'], permission: 'workplace.write' },
      });
      await publishMany(orgB, 3);
      await publishMany(orgA, 3);
      await waitFor(() => received.length === 7, { what: '7 events', timeoutMs: 5_000 });
      const first = received[0];
      expect(first).toMatchObject({
        orgId: orgA,
        type: 'person.assigned',
        payload: { personId: 'p-1', nested: { list: [], empty: {} } },
        audience: { userIds: ['7d4f7c8e-5a0b-4b8e-9d0a-1c2b3d4e5f60'], permission: 'workplace.write' },
      });
      expect(Date.parse(first?.at ?? '')).toBeGreaterThanOrEqual(before - 1_000);
      // Ids are unique within an org (Redis: one stream per org), which is all a subscriber sees.
      expect(new Set(ofOrg(orgA).map((event) => event.id)).size).toBe(4);
      expect(new Set(ofOrg(orgB).map((event) => event.id)).size).toBe(3);
      expect(ofOrg(orgB).map((event) => event.payload)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
      expect(
        ofOrg(orgA)
          .slice(1)
          .map((event) => event.payload),
      ).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    });

    it('replays the events after a known id — that org’s only — and says the replay is complete', async () => {
      await publishMany(orgA, 2);
      await publishMany(orgB, 1);
      await publishMany(orgA, 2);
      await waitFor(() => received.length === 5, { what: '5 events' });
      const a = ofOrg(orgA);
      const replay = await transport.feed.replay(orgA, a[0]?.id ?? '');
      expect(replay.complete).toBe(true);
      expect(replay.events.map((event) => event.id)).toEqual(a.slice(1).map((event) => event.id));
      expect(replay.events.every((event) => event.orgId === orgA)).toBe(true);
      expect(replay.latestId).toBe(a.at(-1)?.id);
      const upToDate = await transport.feed.replay(orgA, a.at(-1)?.id ?? '');
      expect(upToDate).toEqual({ events: [], complete: true, latestId: a.at(-1)?.id });
    });

    it('an unknown, malformed or rolled-over id gives an incomplete replay with the newest id', async () => {
      // Enough to push the first events out of a buffer of BUFFER (Redis trims whole stream nodes of
      // 100 entries, so it takes more than a node to see a trim there).
      await publishMany(orgA, 260);
      await waitFor(() => received.length === 260, { what: '260 events', timeoutMs: 15_000 });
      const latest = received.at(-1)?.id ?? null;
      const rolledOver = await transport.feed.replay(orgA, received[0]?.id ?? '');
      expect(rolledOver.complete).toBe(false);
      expect(rolledOver.latestId).toBe(latest);
      for (const id of ['not-an-id', '00000000-0000-7000-8000-000000000000']) {
        const unknown = await transport.feed.replay(orgA, id);
        expect(unknown.complete, id).toBe(false);
        expect(unknown.events).toEqual([]);
      }
      // The newest events are still there to replay.
      const tail = await transport.feed.replay(orgA, received.at(-2)?.id ?? '');
      expect(tail.complete).toBe(true);
      expect(tail.events.map((event) => event.id)).toEqual([latest]);
    });

    it(`carries a payload larger than a NOTIFY may (${NOTIFY_PAYLOAD_LIMIT_BYTES} bytes) intact`, async () => {
      const big = 'ü'.repeat(15_000); // 30,000 bytes of UTF-8
      await transport.publisher.publish({ orgId: orgB, type: 'sync.progress', payload: { big, done: 3 } });
      await transport.publisher.publish({ orgId: orgB, type: 'sync.completed', payload: { ok: true } });
      await waitFor(() => received.length === 2, { what: 'the large event and the next one' });
      expect(received.map((event) => event.type)).toEqual(['sync.progress', 'sync.completed']);
      expect(received[0]?.payload).toEqual({ big, done: 3 });
      if (harness().kind === 'postgres') {
        const rows = await t.db.selectFrom('realtime_event_payloads').select('id').execute();
        expect(rows.map((row) => row.id)).toEqual([received[0]?.id]);
      }
    });

    it('refuses malformed events before they reach anyone', async () => {
      const bad = [
        { orgId: orgA, type: 'Not A Type', payload: {} },
        { orgId: 'not-a-uuid', type: 'space.updated', payload: {} },
        { orgId: orgA, type: 'space.updated', payload: { blob: 'x'.repeat(70_000) } },
        { orgId: orgA, type: 'space.updated', payload: {}, audience: { userIds: ['nope'] } },
      ];
      for (const event of bad) {
        await expect(transport.publisher.publish(event)).rejects.toBeInstanceOf(ValidationError);
      }
      await transport.publisher.publish({ orgId: orgA, type: 'space.updated', payload: { fine: true } });
      await waitFor(() => received.length === 1, { what: 'the one good event' });
      expect(received[0]?.payload).toEqual({ fine: true });
    });

    it('survives losing its subscription connection', async () => {
      active.add(orgA);
      await publishMany(orgA, 1);
      await waitFor(() => received.length === 1, { what: 'the first event' });
      await transport.dropSubscription();
      await waitFor(() => !transport.feed.connected(), { what: 'the feed to notice', timeoutMs: 5_000 });
      if (harness().kind === 'redis') {
        // Published while the subscriber is away: delivered by the catch-up read after it is back.
        await publishMany(orgA, 2);
        await waitFor(() => transport.feed.connected(), {
          what: 'the subscription to come back',
          timeoutMs: 10_000,
        });
        await waitFor(() => received.length === 3, { what: 'the missed events', timeoutMs: 5_000 });
        expect(received.map((event) => event.payload)).toEqual([{ n: 0 }, { n: 0 }, { n: 1 }]);
        expect(gaps).toEqual([]);
      } else {
        // NOTIFY is not stored: after the reconnect every subscriber is told to resynchronise.
        await waitFor(() => transport.feed.connected(), { what: 'LISTEN to come back', timeoutMs: 10_000 });
        expect(gaps).toEqual(['all']);
        expect((await transport.feed.replay(orgA, received[0]?.id ?? '')).complete).toBe(false);
      }
      await publishMany(orgA, 1, 'space.created');
      await waitFor(() => received.some((event) => event.type === 'space.created'), { what: 'a new event' });
      expect(new Set(received.map((event) => event.id)).size).toBe(received.length);
    });
  });
}

contract('PostgreSQL LISTEN/NOTIFY', () => postgresHarness, false);

describe.skipIf(!redisAvailable())('with Redis', () => {
  const redis = useTestRedis();
  contract('Redis pub/sub + streams', () => redisHarness(redis), false);
});
