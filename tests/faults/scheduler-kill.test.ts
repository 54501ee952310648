import { systemClock } from '@atrium/domain/platform/clock';
import { silentLog } from '@atrium/domain/platform/logger';
import { recordRunOutcome, scheduleLeaseName } from '@atrium/domain/scheduling/engine';
import { freePort } from '@atrium/local-engines';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, trpcClient } from './client.ts';
import { type AppProcess, type FaultStack, report, startFaultStack, waitUntil } from './stack.ts';

/**
 * Fault 4 (issue: "scheduler replica killed during a long run"): two replicas; the one running a long
 * occurrence (the built-in event-retention handler, its DELETE held on a row lock the test keeps) is
 * SIGKILLed. Its lease expires; the survivor records the run as abandoned and runs the next occurrence
 * exactly once; the dead owner's statement is stopped by the server, and its fencing token can no
 * longer write an outcome.
 */
const LEASE_TTL_MS = 3_000;

describe('fault: a scheduler replica is killed during a long run', () => {
  let stack: FaultStack;
  const replicas: Record<string, AppProcess> = {};

  beforeAll(async () => {
    stack = await startFaultStack();
    await stack.start('api');
    const env = { SCHEDULER_LEASE_TTL_MS: String(LEASE_TTL_MS), SCHEDULER_TICK_MS: '200' };
    replicas.alpha = await stack.start('scheduler', {
      ...env,
      SCHEDULER_NODE_ID: 'alpha',
      SCHEDULER_OPS_PORT: String(await freePort()),
    });
    replicas.beta = await stack.start('scheduler', {
      ...env,
      SCHEDULER_NODE_ID: 'beta',
      SCHEDULER_OPS_PORT: String(await freePort()),
    });
  }, 180_000);
  afterAll(() => stack?.close());

  it('the lease expires, the run is abandoned, the next occurrence runs once elsewhere, the dead token is fenced', async () => {
    // Old published outbox rows for the retention handler to delete — and a lock on them that holds
    // its DELETE, so the occurrence runs long.
    await sql`
      INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, created_at, published_at)
      SELECT 'PipelineProbeRequested', 'probe', gen_random_uuid()::text, '{}'::jsonb, now() - interval '30 days', now() - interval '30 days'
      FROM generate_series(1, 50)
    `.execute(stack.db);
    const locker = new pg.Client({ connectionString: stack.databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(
      `SELECT id FROM outbox_events WHERE created_at < now() - interval '7 days' FOR UPDATE`,
    );

    const operator = await createOperator(stack.db);
    const client = trpcClient(stack.apiUrl);
    await client.signIn(operator.email, operator.password);
    const created = await client.mutation('scheduler.create', {
      name: 'faults-retention',
      handler: 'maintenance.event-retention',
      kind: 'interval',
      intervalSeconds: 5,
      maxRuntimeSeconds: 120,
      maxAttempts: 1,
      payload: { retentionDays: 1, batchSize: 100 },
    });
    expect(created.status).toBe(200);
    const scheduleId = (created.data as { id: string }).id;

    const running = await waitUntil(
      'an occurrence running (held by the lock)',
      async () =>
        (await stack.db
          .selectFrom('schedule_runs')
          .select('id')
          .where('schedule_id', '=', scheduleId)
          .where('status', '=', 'running')
          .executeTakeFirst()) !== undefined,
      60_000,
    );
    const dead = await stack.db
      .selectFrom('schedule_runs')
      .selectAll()
      .where('schedule_id', '=', scheduleId)
      .where('status', '=', 'running')
      .executeTakeFirstOrThrow();
    const victim = replicas[dead.node_id];
    const survivor = dead.node_id === 'alpha' ? 'beta' : 'alpha';
    if (!victim) throw new Error(`unknown node ${dead.node_id}`);
    await victim.kill('SIGKILL');
    const killedAt = performance.now();

    // The dead replica's DELETE, waiting on the lock, is stopped by the server (its client is gone).
    const statementStopped = await waitUntil(
      "the dead replica's statement stopped",
      async () => {
        const { rows } = await sql<{ n: string }>`
          SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'DELETE%'
        `.execute(stack.db);
        return Number(rows[0]?.n ?? 0) === 0;
      },
      20_000,
    );
    await locker.query('COMMIT');
    await locker.end();

    await waitUntil(
      'the run recorded as abandoned by the survivor',
      async () => {
        const row = await stack.db
          .selectFrom('schedule_runs')
          .select(['status', 'error'])
          .where('id', '=', dead.id)
          .executeTakeFirstOrThrow();
        return row.status !== 'running';
      },
      60_000,
    );
    const abandonedAfter = (performance.now() - killedAt) / 1000;
    const abandoned = await stack.db
      .selectFrom('schedule_runs')
      .selectAll()
      .where('id', '=', dead.id)
      .executeTakeFirstOrThrow();
    const nextRan = await waitUntil(
      'the next occurrence succeeded on the survivor',
      async () =>
        (await stack.db
          .selectFrom('schedule_runs')
          .select('id')
          .where('schedule_id', '=', scheduleId)
          .where('scheduled_for', '>', dead.scheduled_for)
          .where('status', '=', 'succeeded')
          .executeTakeFirst()) !== undefined,
      60_000,
    );
    const next = await stack.db
      .selectFrom('schedule_runs')
      .selectAll()
      .where('schedule_id', '=', scheduleId)
      .where('scheduled_for', '>', dead.scheduled_for)
      .orderBy('scheduled_for')
      .execute();
    const firstNext = next[0];
    const runsOfFirstNext = next.filter(
      (run) => run.scheduled_for.getTime() === firstNext?.scheduled_for.getTime(),
    );

    // The dead owner's token: an outcome written with it changes nothing.
    const fenced = await recordRunOutcome(
      {
        db: stack.db,
        clock: systemClock,
        nodeId: dead.node_id,
        logger: silentLog,
        leaseTtlMs: LEASE_TTL_MS,
        misfireGraceMs: 60_000,
      },
      {
        runId: dead.id,
        scheduleId,
        scheduleName: 'faults-retention',
        handler: 'maintenance.event-retention',
        payload: {},
        scheduledFor: dead.scheduled_for,
        attempt: dead.attempt,
        trigger: dead.trigger,
        maxRuntimeSeconds: 120,
        startedAt: dead.started_at,
        lease: {
          name: scheduleLeaseName(scheduleId),
          owner: dead.node_id,
          token: BigInt(dead.fencing_token ?? 0),
          expiresAt: new Date(),
        },
      },
      { status: 'succeeded', durationMs: 1 },
    );
    const afterFence = await stack.db
      .selectFrom('schedule_runs')
      .select('status')
      .where('id', '=', dead.id)
      .executeTakeFirstOrThrow();

    report('scheduler replica killed during a long run', {
      'run held before the kill (s)': running,
      'killed replica': dead.node_id,
      "dead replica's SQL stopped after (s)": statementStopped,
      'abandoned recorded after the kill (s)': abandonedAfter,
      'abandoned run status / error': `${abandoned.status} / ${abandoned.error?.slice(0, 90)}`,
      'next occurrence succeeded after (s)': nextRan,
      'runs of the next occurrence': runsOfFirstNext.length,
      'next occurrence ran on': runsOfFirstNext.map((run) => run.node_id).join(', '),
      'stale token outcome write': JSON.stringify(fenced),
      'abandoned run after the stale write': afterFence.status,
    });
    expect(abandoned.status).not.toBe('running');
    expect(abandoned.status).not.toBe('succeeded');
    expect(runsOfFirstNext).toHaveLength(1);
    expect(runsOfFirstNext[0]?.node_id).toBe(survivor);
    expect(fenced).toMatchObject({ recorded: false });
    expect(afterFence.status).toBe(abandoned.status);
  }, 300_000);
});
