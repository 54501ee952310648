import { redisAvailable, testRedisUrl, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../src/server.ts';
import { call, cookieValue, login } from './auth-helpers.ts';
import { testApiEnv } from './helpers.ts';
import { type NodeEventSource, type Subscription, settle, subscribeEvents } from './realtime-client.ts';

/**
 * `events.subscribe` end to end (SPEC §2): two API replicas on one database (and one Redis), events
 * published by the worker's publisher, tRPC's httpSubscriptionLink over real HTTP. The same behaviour
 * with Redis pub/sub and with PostgreSQL NOTIFY (REDIS_URL unset everywhere).
 */
describe.each([
  ['Redis pub/sub', true],
  ['PostgreSQL NOTIFY, no Redis', false],
])('events.subscribe across two API replicas — %s', (_label, withRedis) => {
  const skip = withRedis && !redisAvailable();
  const t = useTestDatabase();
  const prefix = `t:rt:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}:`;
  let apiA: RunningApi;
  let apiB: RunningApi;
  let worker: RunningWorker;
  let orgId: string;
  let otherOrgId: string;
  const open: Subscription[] = [];

  const sharedEnv = () => ({
    // Both replicas verify each other's tokens and share the cache and channels.
    JWT_SECRET: 'realtime-test-secret-0123456789-abcdefghij',
    REDIS_PREFIX: prefix,
    REDIS_URL: withRedis ? (testRedisUrl() ?? undefined) : undefined,
    REALTIME_REVALIDATE_SECONDS: '0.2',
  });

  beforeAll(async () => {
    if (skip) return;
    apiA = await startApi(testApiEnv(t.url, sharedEnv()));
    apiB = await startApi(testApiEnv(t.url, sharedEnv()));
    const redisUrl = testRedisUrl();
    worker = await startWorker(
      testWorkerEnv(t.url, {
        REDIS_PREFIX: prefix,
        ...(withRedis && redisUrl ? { REDIS_URL: redisUrl } : {}),
      }),
    );
    orgId = (await createTestOrg(t.db)).id;
    otherOrgId = (await createTestOrg(t.db)).id;
  });
  afterAll(async () => {
    for (const subscription of open) subscription.close();
    await worker?.stop();
    await apiA?.close();
    await apiB?.close();
    const url = testRedisUrl();
    if (withRedis && url) {
      const redis = new Redis(url);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  async function member(roles: string[] = ['viewer'], org = orgId) {
    const user = await createTestUser(t.db, { orgId: org, roles });
    const session = await login(apiA, user);
    return { user, token: session.accessToken, refreshToken: session.refreshToken };
  }

  /** Subscribes and waits until the replica has registered the stream. */
  async function subscribe(
    api: RunningApi,
    token: () => string,
    input?: { types?: string[]; lastEventId?: string },
  ): Promise<Subscription> {
    const before = api.services.realtime.hub.subscriberCount();
    const subscription = subscribeEvents(api.url, token, input);
    open.push(subscription);
    await subscription.started;
    await waitFor(() => api.services.realtime.hub.subscriberCount() > before, {
      what: 'the stream to register',
    });
    return subscription;
  }

  const publish = (event: Parameters<RunningWorker['services']['realtime']['publish']>[0]) =>
    worker.services.realtime.publish(event);

  it.skipIf(skip)('runs on the intended transport in every process', () => {
    const kind = withRedis ? 'redis' : 'postgres';
    expect(apiA.services.realtime.kind).toBe(kind);
    expect(apiB.services.realtime.kind).toBe(kind);
    expect(worker.services.realtime.kind).toBe(kind);
  });

  it.skipIf(skip)(
    'an event the worker publishes reaches subscribers on both replicas, and no other org',
    async () => {
      const alice = await member();
      const bob = await member();
      const stranger = await member(['admin'], otherOrgId);
      const onA = await subscribe(apiA, () => alice.token);
      const onB = await subscribe(apiB, () => bob.token);
      const foreign = await subscribe(apiA, () => stranger.token);

      await publish({ orgId, type: 'space.updated', payload: { spaceId: 's-1', name: 'Atrium Hall' } });
      const [a, b] = await Promise.all([
        onA.waitFor((e) => e.type === 'space.updated'),
        onB.waitFor((e) => e.type === 'space.updated'),
      ]);
      expect(a).toMatchObject({ type: 'space.updated', payload: { spaceId: 's-1', name: 'Atrium Hall' } });
      expect(b.id).toBe(a.id);
      expect(Date.parse(a.at)).not.toBeNaN();

      await publish({ orgId: otherOrgId, type: 'room.updated', payload: { roomId: 'r-9' } });
      await foreign.waitFor((e) => e.type === 'room.updated');
      await settle();
      expect(foreign.events.map((e) => e.type)).toEqual(['room.updated']);
      expect(onA.events.map((e) => e.type)).toEqual(['space.updated']);
      expect(onB.events.map((e) => e.type)).toEqual(['space.updated']);
    },
  );

  it.skipIf(skip)(
    'the audience narrows delivery to the listed users and the holders of a permission',
    async () => {
      const viewer = await member(['viewer']);
      const other = await member(['viewer']);
      const editor = await member(['editor']);
      const subs = {
        viewer: await subscribe(apiA, () => viewer.token),
        other: await subscribe(apiB, () => other.token),
        editor: await subscribe(apiB, () => editor.token),
      };
      await publish({
        orgId,
        type: 'notification.new',
        payload: { n: 1 },
        audience: { userIds: [viewer.user.id] },
      });
      await publish({
        orgId,
        type: 'creator.application.submitted',
        payload: { n: 2 },
        audience: { permission: 'creators.review' },
      });
      await publish({
        orgId,
        type: 'creator.application.decided',
        payload: { n: 3 },
        audience: { userIds: [other.user.id], permission: 'creators.review' },
      });
      await publish({ orgId, type: 'sync.completed', payload: { n: 4 } });
      await Promise.all(Object.values(subs).map((s) => s.waitFor((e) => e.type === 'sync.completed')));
      expect(subs.viewer.events.map((e) => e.payload)).toEqual([{ n: 1 }, { n: 4 }]);
      expect(subs.other.events.map((e) => e.payload)).toEqual([{ n: 3 }, { n: 4 }]);
      expect(subs.editor.events.map((e) => e.payload)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
    },
  );

  it.skipIf(skip)(
    'a client that reconnects — to the other replica — with its last event id gets exactly what it missed',
    async () => {
      const carol = await member();
      const first = await subscribe(apiA, () => carol.token, { types: ['sync.progress'] });
      await publish({ orgId, type: 'sync.progress', payload: { step: 1 } });
      const seen = await first.waitFor((e) => e.type === 'sync.progress');
      first.close();

      for (const step of [2, 3, 4]) await publish({ orgId, type: 'sync.progress', payload: { step } });
      await publish({ orgId, type: 'space.updated', payload: { ignored: true } });

      const resumed = await subscribe(apiB, () => carol.token, {
        types: ['sync.progress'],
        lastEventId: seen.id,
      });
      await resumed.waitFor((e) => (e.payload as { step: number }).step === 4);
      await publish({ orgId, type: 'sync.progress', payload: { step: 5 } });
      await resumed.waitFor((e) => (e.payload as { step: number }).step === 5);
      await settle();
      expect(resumed.events.map((e) => (e.payload as { step: number }).step)).toEqual([2, 3, 4, 5]);
    },
  );

  it.skipIf(skip)(
    'a burst of 200 events arrives complete and in order on both replicas (latency measured)',
    async () => {
      const ivy = await member();
      const jon = await member();
      const onA = await subscribe(apiA, () => ivy.token, { types: ['sync.progress'] });
      const onB = await subscribe(apiB, () => jon.token, { types: ['sync.progress'] });
      const sentAt: number[] = [];
      const started = performance.now();
      for (let n = 0; n < 200; n += 1) {
        sentAt.push(performance.now());
        await publish({ orgId, type: 'sync.progress', payload: { n } });
      }
      await Promise.all(
        [onA, onB].map((sub) => sub.waitFor((e) => (e.payload as { n: number }).n === 199, 15_000)),
      );
      const elapsed = performance.now() - started;
      const expected = Array.from({ length: 200 }, (_, n) => n);
      const latencies: number[] = [];
      for (const sub of [onA, onB]) {
        expect(sub.events.map((e) => (e.payload as { n: number }).n)).toEqual(expected);
        for (const event of sub.events) {
          latencies.push(event.receivedAt - (sentAt[(event.payload as { n: number }).n] ?? 0));
        }
      }
      latencies.sort((a, b) => a - b);
      const pick = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
      console.info(
        `realtime ${_label}: 200 events × 2 replicas in ${Math.round(elapsed)} ms; publish→SSE p50 ${pick(0.5).toFixed(1)} ms, p99 ${pick(0.99).toFixed(1)} ms`,
      );
      expect(pick(0.99)).toBeLessThan(2_000);
    },
  );

  it.skipIf(skip)(
    'a dropped connection resumes by itself (Last-Event-ID) without loss or duplicates',
    async () => {
      const dave = await member();
      const sub = await subscribe(apiA, () => dave.token, { types: ['job.failed'] });
      await publish({ orgId, type: 'job.failed', payload: { n: 1 } });
      await sub.waitFor((e) => (e.payload as { n: number }).n === 1);
      const source = sub.source() as NodeEventSource;
      source.dropConnection();
      for (const n of [2, 3]) await publish({ orgId, type: 'job.failed', payload: { n } });
      await sub.waitFor((e) => (e.payload as { n: number }).n === 3, 10_000);
      await publish({ orgId, type: 'job.failed', payload: { n: 4 } });
      await sub.waitFor((e) => (e.payload as { n: number }).n === 4);
      await settle();
      expect(source.connections).toBeGreaterThanOrEqual(2);
      expect(sub.events.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2, 3, 4]);
      expect(sub.errors).toEqual([]);
    },
  );

  it.skipIf(skip)('an unknown last event id starts with a resync notice', async () => {
    const erin = await member();
    const sub = await subscribe(apiB, () => erin.token, { lastEventId: 'long-gone' });
    const resync = await sub.waitFor((e) => e.type === 'realtime.resync');
    expect(resync.payload).toEqual({ reason: 'missed-events' });
    await publish({ orgId, type: 'space.updated', payload: { after: 'resync' } });
    await sub.waitFor((e) => e.type === 'space.updated');
  });

  it.skipIf(skip)(
    'no token is refused; a permission change ends the stream with TOKEN_STALE; the refreshed token resumes it',
    async () => {
      const anonymous = subscribeEvents(apiA.url, () => '');
      open.push(anonymous);
      expect((await anonymous.waitForError()).code).toBe('UNAUTHENTICATED');
      const forged = subscribeEvents(apiA.url, () => 'not.a.jwt');
      open.push(forged);
      expect((await forged.waitForError()).code).toBe('UNAUTHENTICATED');

      const admin = await member(['admin']);
      const frank = await member(['viewer']);
      let token = frank.token;
      const sub = await subscribe(apiA, () => token, { types: ['space.updated'] });
      await publish({ orgId, type: 'space.updated', payload: { n: 1 } });
      const last = await sub.waitFor((e) => (e.payload as { n: number }).n === 1);

      const changed = await call(apiB, 'users.setRoles', {
        token: admin.token,
        input: { userId: frank.user.id, roles: ['viewer', 'editor'] },
      });
      expect(changed.status).toBe(200);
      expect((await sub.waitForError(5_000)).code).toBe('TOKEN_STALE');
      await publish({ orgId, type: 'space.updated', payload: { n: 2 } });

      // What the web client does on TOKEN_STALE: refresh, then resubscribe from the last id it saw.
      const refreshed = await call<{ accessToken: string }>(apiB, 'auth.refresh', {
        cookie: frank.refreshToken,
      });
      expect(refreshed.status).toBe(200);
      expect(cookieValue(refreshed.refreshCookie)).toBeTruthy();
      token = refreshed.data.accessToken;
      const resumed = await subscribe(apiB, () => token, { types: ['space.updated'], lastEventId: last.id });
      await resumed.waitFor((e) => (e.payload as { n: number }).n === 2);
      expect(resumed.events.map((e) => e.payload)).toEqual([{ n: 2 }]);
    },
  );

  it.skipIf(skip)(
    'the token is taken from connectionParams for subscriptions only, and never logged',
    async () => {
      const grace = await member();
      const params = encodeURIComponent(JSON.stringify({ token: grace.token }));
      const me = await fetch(`${apiA.url}/trpc/users.me?connectionParams=${params}`);
      expect(me.status).toBe(401);
      const header = await call(apiA, 'users.me', { token: grace.token });
      expect(header.status).toBe(200);
    },
  );

  it.skipIf(skip)(
    'a replica that shuts down ends its streams at once instead of holding the shutdown',
    async () => {
      const henry = await member();
      const apiC = await startApi(testApiEnv(t.url, sharedEnv()));
      const sub = subscribeEvents(apiC.url, () => henry.token);
      open.push(sub);
      await sub.started;
      await waitFor(() => apiC.services.realtime.hub.subscriberCount() === 1, { what: 'the stream' });
      const started = performance.now();
      await apiC.close();
      const ms = performance.now() - started;
      sub.close();
      expect(ms).toBeLessThan(2_000);
    },
  );
});
