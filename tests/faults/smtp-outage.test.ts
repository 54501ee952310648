import { enqueueRawNotification } from '@atrium/domain/notifications/enqueue';
import { NOTIFICATIONS_DISPATCH_QUEUE, notificationsDispatchQueue } from '@atrium/domain/notifications/queue';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultStack, report, startFaultStack, waitUntil } from './stack.ts';

/**
 * Fault 5 (issue: "SMTP down for 10 minutes of simulated time"): the mail server refuses connections
 * while a batch of emails is due. The worker runs its production retry policy unchanged (pg-boss
 * retries with exponential backoff, notificationsDispatchQueue); the test plays the clock forward by
 * moving every waiting retry's `start_after` to now — the only thing time does to a waiting retry —
 * and counts the skipped seconds as simulated time. After 10 simulated minutes the server comes back:
 * every email is delivered, each exactly once, none dead-lettered.
 */
const EMAILS = Number(process.env.FAULTS_SMTP_EMAILS ?? 200);
const OUTAGE_SIMULATED_S = 600;

describe('fault: SMTP is down for 10 minutes (simulated time)', () => {
  let stack: FaultStack;

  beforeAll(async () => {
    stack = await startFaultStack();
    await stack.start('worker');
  }, 120_000);
  afterAll(() => stack?.close());

  it('retries on the production policy and delivers each email exactly once after recovery', async () => {
    const { db, smtp } = stack;
    const orgId = (await createTestOrg(db, { name: 'Mail Outage Org' })).id;
    const members: string[] = [];
    for (let i = 0; i < 10; i++) members.push((await createTestUser(db, { orgId })).id);

    await smtp.setFailure('down');
    const startedAt = performance.now();
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < EMAILS; i++)
        await enqueueRawNotification(trx, {
          orgId,
          channel: 'email',
          to: { userId: members[i % members.length] ?? '' },
          subject: `Outage notice ${i}`,
          body: `Body of notice ${i}`,
          variables: {},
        });
    });

    /** Seconds of waiting skipped so far: simulated time = real time + skipped. */
    let skipped = 0;
    const simulatedSeconds = () => (performance.now() - startedAt) / 1000 + skipped;
    /** Moves the clock to the earliest waiting retry: every retry due by then becomes due now. */
    const advanceToNextRetry = async () => {
      const { rows } = await sql<{ wait: number | null }>`
        SELECT extract(epoch FROM min(start_after) - now())::float8 AS wait
        FROM pgboss.job WHERE name = ${NOTIFICATIONS_DISPATCH_QUEUE} AND state = 'retry'
      `.execute(db);
      const wait = rows[0]?.wait ?? null;
      if (wait === null || wait <= 0) return;
      await sql`
        UPDATE pgboss.job SET start_after = start_after - make_interval(secs => ${wait})
        WHERE name = ${NOTIFICATIONS_DISPATCH_QUEUE} AND state = 'retry'
      `.execute(db);
      skipped += wait;
    };
    const attemptsPerNotification = async () => {
      const { rows } = await sql<{ attempts: number; n: string }>`
        SELECT attempts, count(*) AS n FROM (
          SELECT notification_id, count(*)::int AS attempts FROM notification_attempts GROUP BY 1
        ) a GROUP BY attempts ORDER BY attempts
      `.execute(db);
      return Object.fromEntries(rows.map((r) => [r.attempts, Number(r.n)]));
    };

    // The outage: the worker tries, fails, and waits as the policy says; we skip its waits.
    while (simulatedSeconds() < OUTAGE_SIMULATED_S) {
      await new Promise((r) => setTimeout(r, 500));
      await advanceToNextRetry();
    }
    const duringOutage = await sql<{ state: string; n: string }>`
      SELECT state, count(*) AS n FROM pgboss.job WHERE name LIKE ${`${NOTIFICATIONS_DISPATCH_QUEUE}%`} GROUP BY state
    `.execute(db);
    const attemptsByOutageEnd = await attemptsPerNotification();
    const sentDuringOutage = smtp.messages.length;

    await smtp.setFailure('none');
    const recoveredAtSimulated = simulatedSeconds();
    const sent = async () =>
      Number(
        (
          await db
            .selectFrom('notifications')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('org_id', '=', orgId)
            .where('status', '=', 'sent')
            .executeTakeFirstOrThrow()
        ).n,
      );
    await waitUntil(
      'every email delivered after the mail server returned',
      async () => {
        if ((await sent()) === EMAILS) return true;
        await advanceToNextRetry();
        return false;
      },
      300_000,
    );
    const deliveredAtSimulated = simulatedSeconds();

    const failed = await db
      .selectFrom('notifications')
      .select('id')
      .where('org_id', '=', orgId)
      .where('status', '!=', 'sent')
      .execute();
    const deadLettered = await sql<{ n: string }>`
      SELECT count(*) AS n FROM pgboss.job WHERE name = ${`${NOTIFICATIONS_DISPATCH_QUEUE}.dead-letter`}
    `.execute(db);
    const okTwice = await sql<{ n: string }>`
      SELECT count(*) AS n FROM (
        SELECT notification_id FROM notification_attempts WHERE ok GROUP BY 1 HAVING count(*) > 1
      ) twice
    `.execute(db);
    const perNotification = new Map<string, number>();
    for (const mail of smtp.messages) {
      const id = String(mail.headers['x-atrium-notification'] ?? '');
      perNotification.set(id, (perNotification.get(id) ?? 0) + 1);
    }
    const deliveredTwice = [...perNotification.values()].filter((n) => n > 1).length;

    report('SMTP down for 10 minutes (simulated time)', {
      emails: EMAILS,
      'retry policy': `${notificationsDispatchQueue.retryLimit} retries, ${notificationsDispatchQueue.retryDelaySeconds} s doubling, cap ${notificationsDispatchQueue.retryDelayMaxSeconds} s`,
      'simulated outage (s)': recoveredAtSimulated,
      'attempts per email by the end of the outage': JSON.stringify(attemptsByOutageEnd),
      'jobs by state at the end of the outage': JSON.stringify(
        Object.fromEntries(duringOutage.rows.map((r) => [r.state, Number(r.n)])),
      ),
      'delivered during the outage': sentDuringOutage,
      'all delivered after recovery (simulated s)': deliveredAtSimulated - recoveredAtSimulated,
      'real seconds in all': (performance.now() - startedAt) / 1000,
      'emails received': smtp.messages.length,
      'not sent': failed.length,
      'dead-lettered': Number(deadLettered.rows[0]?.n ?? 0),
      'delivered twice (receiver)': deliveredTwice,
      'successful attempts twice (DB)': Number(okTwice.rows[0]?.n ?? 0),
    });
    expect(sentDuringOutage).toBe(0);
    expect(Math.min(...Object.keys(attemptsByOutageEnd).map(Number))).toBeGreaterThan(1);
    expect(failed).toEqual([]);
    expect(Number(deadLettered.rows[0]?.n ?? 0)).toBe(0);
    expect(perNotification.size).toBe(EMAILS);
    expect(deliveredTwice).toBe(0);
    expect(Number(okTwice.rows[0]?.n ?? 0)).toBe(0);
  }, 600_000);
});
