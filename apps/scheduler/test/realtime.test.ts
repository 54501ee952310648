import { randomUUID } from 'node:crypto';
import { startPgListener } from '@atrium/db/listener';
import { manualClock } from '@atrium/domain/platform/clock';
import type { RealtimeEvent } from '@atrium/domain/realtime/port';
import {
  decodePgNotification,
  decodeRedisMessage,
  REALTIME_PG_CHANNEL,
  realtimeRedisChannel,
  realtimeRedisStreamKey,
} from '@atrium/domain/realtime/wire';
import { redisAvailable, useTestDatabase, useTestRedis, waitFor } from '@atrium/testkit';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startScheduler } from '../src/scheduler.ts';
import { createTestSchedule, testSchedulerEnv } from './helpers.ts';

/**
 * A handler's live event leaves through the scheduler process's publisher (docs/realtime.md): Redis
 * pub/sub (plus the org's replay stream) when REDIS_URL is set, PostgreSQL NOTIFY otherwise. Each
 * transport is checked where the API's subscribers read it.
 */
describe('scheduler handlers publish realtime events', () => {
  const t = useTestDatabase();

  /** Runs one occurrence of a handler that publishes `sync.progress` for `orgId`, on a replica with `env`. */
  async function runAnnouncingHandler(orgId: string, env: Record<string, string | undefined>) {
    const clock = manualClock(new Date('2026-06-01T08:00:00.000Z'));
    const scheduler = await startScheduler(testSchedulerEnv(t.url, env), {
      builtIns: false,
      clock,
      handlers: {
        'test.announce': async (ctx) => {
          await ctx.realtime.publish({
            orgId,
            type: 'sync.progress',
            payload: { schedule: ctx.scheduleName, done: 1, total: 1 },
            audience: { permission: 'workplace.sync' },
          });
          return { announced: true };
        },
      },
    });
    try {
      expect(scheduler.realtime.kind).toBe(env.REDIS_URL ? 'redis' : 'postgres');
      await createTestSchedule(t.db, clock, {
        name: `announce-${orgId.slice(0, 8)}`,
        handler: 'test.announce',
        kind: 'once',
        runAt: clock.now(),
      });
      await scheduler.tick();
      await scheduler.idle();
    } finally {
      await scheduler.stop();
    }
  }

  const expectAnnounced = (events: RealtimeEvent[], orgId: string) => {
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      orgId,
      type: 'sync.progress',
      payload: { schedule: `announce-${orgId.slice(0, 8)}`, done: 1, total: 1 },
      audience: { permission: 'workplace.sync' },
    });
  };

  it('without Redis: PostgreSQL NOTIFY', async () => {
    const received: RealtimeEvent[] = [];
    const listener = await startPgListener({
      connectionString: t.url,
      applicationName: 'scheduler-realtime-test',
      channels: [REALTIME_PG_CHANNEL],
      onNotification: ({ payload }) => {
        const decoded = payload ? decodePgNotification(payload) : null;
        if (decoded?.kind === 'event') received.push(decoded.event);
      },
    });
    const orgId = randomUUID();
    try {
      await runAnnouncingHandler(orgId, { REDIS_URL: undefined });
      await waitFor(() => received[0], { what: 'the realtime event' });
      expectAnnounced(received, orgId);
    } finally {
      await listener.stop();
    }
  });

  describe.skipIf(!redisAvailable())('with Redis', () => {
    const redis = useTestRedis();

    it('Redis pub/sub under the process’s prefix, and the org’s replay stream', async () => {
      const subscriber = new Redis(redis.url, { lazyConnect: true });
      await subscriber.connect();
      const received: RealtimeEvent[] = [];
      subscriber.on('message', (_channel, message: string) => {
        const event = decodeRedisMessage(message);
        if (event) received.push(event);
      });
      await subscriber.subscribe(realtimeRedisChannel(redis.prefix));
      const orgId = randomUUID();
      try {
        await runAnnouncingHandler(orgId, { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix });
        await waitFor(() => received[0], { what: 'the realtime event on Redis' });
        expectAnnounced(received, orgId);
        // Replayable for a subscriber that reconnects: the stream entry carries the event's id.
        const stream = await redis.client.xrange(realtimeRedisStreamKey(redis.prefix, orgId), '-', '+');
        expect(stream.map(([id]) => id)).toEqual([received[0]?.id]);
      } finally {
        subscriber.disconnect();
      }
    });
  });
});
