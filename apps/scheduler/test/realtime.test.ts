import { randomUUID } from 'node:crypto';
import { startPgListener } from '@atrium/db/listener';
import { manualClock } from '@atrium/domain/platform/clock';
import { decodePgNotification, REALTIME_PG_CHANNEL } from '@atrium/domain/realtime/wire';
import { useTestDatabase, waitFor } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { startScheduler } from '../src/scheduler.ts';
import { createTestSchedule, testSchedulerEnv } from './helpers.ts';

describe('scheduler handlers publish realtime events', () => {
  const t = useTestDatabase();

  it('a handler’s event leaves through the process’s publisher (PostgreSQL NOTIFY without Redis)', async () => {
    const received: unknown[] = [];
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
    const clock = manualClock(new Date('2026-06-01T08:00:00.000Z'));
    const scheduler = await startScheduler(testSchedulerEnv(t.url, { REDIS_URL: undefined }), {
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
      await createTestSchedule(t.db, clock, {
        name: 'announce',
        handler: 'test.announce',
        kind: 'once',
        runAt: clock.now(),
      });
      await scheduler.tick();
      await scheduler.idle();
      const event = await waitFor(() => received[0], { what: 'the realtime event' });
      expect(event).toMatchObject({
        orgId,
        type: 'sync.progress',
        payload: { schedule: 'announce', done: 1, total: 1 },
        audience: { permission: 'workplace.sync' },
      });
      expect(received).toHaveLength(1);
    } finally {
      await scheduler.stop();
      await listener.stop();
    }
  });
});
