import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, type Outcome, openEventStream, tally, trpcClient } from './client.ts';
import { type FaultStack, report, startFaultStack, waitUntil } from './stack.ts';

/**
 * Fault 3 (issue: "Redis killed and restarted"): the API keeps answering while Redis is gone (the
 * authorisation cache is bypassed, rate limits fail over to in-process counters), readiness says
 * degraded, the realtime fan-out survives — an open event stream stays open and carries events again —
 * and everything recovers when Redis returns.
 */
const OUTAGE_MS = 6_000;

describe('fault: Redis is killed and restarted', () => {
  let stack: FaultStack;

  beforeAll(async () => {
    stack = await startFaultStack();
    await stack.start('api');
    await stack.start('worker');
  }, 180_000);
  afterAll(() => stack?.close());

  it('keeps answering, says degraded, and recovers, with the event stream intact', async () => {
    const operator = await createOperator(stack.db);
    const client = trpcClient(stack.apiUrl);
    await client.signIn(operator.email, operator.password);
    const stream = await openEventStream(stack.apiUrl, client.token);
    const notify = async (subject: string) => {
      const sent = await client.mutation('notifications.send', {
        channel: 'in_app',
        to: { userId: operator.userId },
        subject,
        body: 'Redis fault test',
      });
      expect(sent.status).toBe(200);
    };
    const readiness = async () => {
      const response = await fetch(`${stack.apiUrl}/health/ready`, {
        headers: { authorization: `Bearer ${stack.metricsToken}` },
      });
      const body = (await response.json()) as { checks: Record<string, { status: string }> };
      return { status: response.status, redis: body.checks.redis?.status };
    };

    // Before: an event reaches the stream.
    await notify('before');
    await waitUntil(
      'the first event on the stream',
      () => stream.events.some((e) => e.type === 'notification.new'),
      20_000,
    );

    const outcomes: Array<Outcome & { phase: string }> = [];
    let phase = 'outage';
    let running = true;
    const load = (async () => {
      while (running) {
        outcomes.push({ ...(await client.query('users.me')), phase });
        // Sign-in failures go through the rate limiter, which must fall back to in-process counters.
        outcomes.push({
          ...(await client.mutation('auth.login', { email: operator.email, password: 'not-the-password-1' })),
          phase,
        });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await stack.stopRedis();
    const downAt = performance.now();
    const degradedAfter = await waitUntil(
      'readiness degraded',
      async () => (await readiness()).status === 503,
      15_000,
    );
    const duringOutage = await readiness();
    await notify('during the outage');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const eventsBefore = stream.events.length;

    await stack.startRedis();
    phase = 'after';
    const backAt = performance.now();
    const readyAfter = await waitUntil(
      'readiness ok again',
      async () => (await readiness()).status === 200,
      30_000,
    );
    await notify('after');
    const streamAfter = await waitUntil(
      'an event on the same stream after Redis returned',
      () => stream.events.filter((e) => e.type === 'notification.new' && e.at > backAt).length > 0,
      30_000,
    );
    running = false;
    await load;
    const statuses = tally(outcomes.filter((o) => o.phase === 'outage'));
    const newEvents = stream.events.filter((e) => e.type === 'notification.new');
    // What was published while Redis was away is not in the (new, empty) Redis stream: the API tells
    // the subscriber to resynchronise (the web app then refetches), rather than leaving a silent gap.
    const resyncAfterReturn = stream.events.some((e) => e.type === 'realtime.resync' && e.at > downAt);

    report('Redis killed and restarted', {
      'outage seconds': (backAt - downAt) / 1000,
      'readiness degraded after (s)': degradedAfter,
      'readiness during outage': `${duringOutage.status} (redis ${duringOutage.redis})`,
      'readiness ok after return (s)': readyAfter,
      'requests during the outage': outcomes.filter((o) => o.phase === 'outage').length,
      'statuses during the outage': JSON.stringify(statuses),
      'stream still open': stream.open,
      'events on the stream (total)': newEvents.length,
      'event during outage: live or resync':
        newEvents.length >= 3 ? 'live' : resyncAfterReturn ? 'resync' : 'LOST',
      'first event after return (s)': streamAfter,
      'events seen before return': eventsBefore,
    });
    expect(duringOutage).toMatchObject({ status: 503, redis: 'down' });
    for (const key of Object.keys(statuses))
      expect(['200', '401 UNAUTHENTICATED', '429 RATE_LIMITED']).toContain(key);
    expect(statuses['200']).toBeGreaterThan(0);
    expect(stream.open).toBe(true);
    expect(readyAfter).toBeLessThan(10);
    expect(newEvents.length >= 3 || resyncAfterReturn).toBe(true);
    await stream.close();
  }, 300_000);
});
