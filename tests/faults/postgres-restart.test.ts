import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, type Outcome, tally, trpcClient } from './client.ts';
import { type FaultStack, report, startFaultStack, waitUntil } from './stack.ts';

/**
 * Fault 2 (issue: "PostgreSQL restarted"): the database is stopped for a few seconds and started again
 * while the API serves requests, the worker relays and dispatches, and the scheduler runs a 1-second
 * schedule. Every process must recover by itself within 10 s, without a restart of its own; requests
 * during the outage answer 503 UNAVAILABLE (never 500, never a hang); nothing committed is lost; the
 * relay and the LISTEN sessions resume.
 */
const OUTAGE_MS = 5_000;
const RECOVERY_LIMIT_S = 10;

describe('fault: PostgreSQL is restarted under load', () => {
  let stack: FaultStack;

  beforeAll(async () => {
    stack = await startFaultStack();
    await stack.start('api');
    await stack.start('worker');
    await stack.start('scheduler');
  }, 180_000);
  afterAll(() => stack?.close());

  it('every process recovers by itself, answers 503 meanwhile, and loses nothing committed', async () => {
    const operator = await createOperator(stack.db);
    const client = trpcClient(stack.apiUrl);
    await client.signIn(operator.email, operator.password);
    const created = await client.mutation('scheduler.create', {
      name: 'faults-heartbeat',
      handler: 'maintenance.credential-cleanup',
      kind: 'interval',
      intervalSeconds: 1,
    });
    expect(created.status).toBe(200);

    // Load: reads and writes from two clients; each write the API acknowledged must survive.
    const outcomes: Array<Outcome & { at: number; phase: 'before' | 'outage' | 'after' }> = [];
    const acknowledged: string[] = [];
    let phase: 'before' | 'outage' | 'after' = 'before';
    let running = true;
    const load = async () => {
      while (running) {
        const read = await client.query('users.me');
        outcomes.push({ ...read, at: performance.now(), phase });
        const write = await client.mutation('notifications.send', {
          channel: 'in_app',
          to: { userId: operator.userId },
          subject: 'Load',
          body: 'A notice written during the fault test',
        });
        outcomes.push({ ...write, at: performance.now(), phase });
        if (write.status === 200) acknowledged.push((write.data as { id: string }).id);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const loaders = [load(), load()];
    await new Promise((r) => setTimeout(r, 3_000));

    phase = 'outage';
    await stack.stopPostgres();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await stack.startPostgres();
    const backAt = performance.now();
    const backAtDate = new Date();
    const since = () => (performance.now() - backAt) / 1000;
    phase = 'after';

    await waitUntil(
      'the API answering again',
      () => outcomes.some((o) => o.phase === 'after' && o.status === 200 && o.at > backAt),
      30_000,
    );
    const apiRecovery = since();
    const processReady = (url: string) => async () => {
      try {
        return (await fetch(`${url}/health/ready`)).status === 200;
      } catch {
        return false;
      }
    };
    await waitUntil('the worker ready', processReady(stack.workerOpsUrl), 30_000);
    const workerReady = since();
    await waitUntil('the scheduler ready', processReady(stack.schedulerOpsUrl), 30_000);
    const schedulerReady = since();
    await waitUntil(
      'a schedule run after the restart',
      async () => {
        const run = await stack.db
          .selectFrom('schedule_runs')
          .innerJoin('schedules', 'schedules.id', 'schedule_runs.schedule_id')
          .select('schedule_runs.id')
          .where('schedules.name', '=', 'faults-heartbeat')
          .where('schedule_runs.status', '=', 'succeeded')
          .where('schedule_runs.started_at', '>', backAtDate)
          .executeTakeFirst();
        return run !== undefined;
      },
      30_000,
    );
    const schedulerRecovery = since();
    // A write made after the restart goes all the way through the relay and the dispatcher.
    const probe = await client.mutation('notifications.send', {
      channel: 'in_app',
      to: { userId: operator.userId },
      subject: 'After the restart',
      body: 'Relayed and delivered',
    });
    expect(probe.status).toBe(200);
    const probeId = (probe.data as { id: string }).id;
    await waitUntil(
      'a notification written after the restart delivered',
      async () =>
        (
          await stack.db
            .selectFrom('notifications')
            .select('status')
            .where('id', '=', probeId)
            .executeTakeFirst()
        )?.status === 'sent',
      30_000,
    );
    const workerRecovery = since();
    running = false;
    await Promise.all(loaders);

    // Nothing the API acknowledged is lost, and all of it is delivered.
    await waitUntil(
      'every acknowledged notification delivered',
      async () => {
        const { rows } = await sql<{ n: string }>`
          SELECT count(*) AS n FROM notifications WHERE id = ANY(${acknowledged}::uuid[]) AND status = 'sent'
        `.execute(stack.db);
        return Number(rows[0]?.n ?? 0) === acknowledged.length;
      },
      120_000,
    );
    // The relay's dedicated LISTEN session is back (its keep-alive query replaces the LISTEN text in
    // pg_stat_activity, so it is found by its application name).
    await waitUntil(
      "the relay's LISTEN session back",
      async () => {
        const { rows } = await sql<{ n: string }>`
          SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'atrium-outbox-relay'
        `.execute(stack.db);
        return Number(rows[0]?.n ?? 0) > 0;
      },
      30_000,
    );
    const relayListening = since();
    const duringOutage = outcomes.filter(
      (o) => o.phase === 'outage' || (o.phase === 'after' && o.at - backAt < apiRecovery * 1000),
    );
    const statusesDuringOutage = tally(duringOutage);

    report('PostgreSQL restarted under load', {
      'outage seconds': OUTAGE_MS / 1000,
      'API answering after (s)': apiRecovery,
      'worker ready after (s)': workerReady,
      'scheduler ready after (s)': schedulerReady,
      'scheduler running again after (s)': schedulerRecovery,
      'new write delivered after (s)': workerRecovery,
      'requests during the outage': duringOutage.length,
      'statuses during the outage': JSON.stringify(statusesDuringOutage),
      'writes acknowledged': acknowledged.length,
      'acknowledged writes lost': 0,
      'relay LISTEN session back after (s)': relayListening,
    });
    expect(apiRecovery).toBeLessThan(RECOVERY_LIMIT_S);
    expect(workerReady).toBeLessThan(RECOVERY_LIMIT_S);
    expect(schedulerReady).toBeLessThan(RECOVERY_LIMIT_S);
    expect(schedulerRecovery).toBeLessThan(RECOVERY_LIMIT_S);
    expect(workerRecovery).toBeLessThan(RECOVERY_LIMIT_S);
    for (const key of Object.keys(statusesDuringOutage)) expect(['200', '503 UNAVAILABLE']).toContain(key);
    expect(relayListening).toBeLessThan(RECOVERY_LIMIT_S * 2);
  }, 600_000);
});
