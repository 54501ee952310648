import { applyForCreator, approveApplication } from '@atrium/domain/creators/applications';
import { enqueueRawNotification } from '@atrium/domain/notifications/enqueue';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, type FaultStack, report, startFaultStack, waitUntil } from './stack.ts';

/**
 * Fault 1 (issue: "worker killed mid-batch"): the worker is SIGKILLed while ~11,000 events with side
 * effects flow — in-app notifications, emails to the SMTP receiver, creator approvals (a role grant,
 * an email and an in-app notice each). After a restart: nothing lost, nothing done twice, counted from
 * the database and from what the SMTP receiver got.
 */
const IN_APP = Number(process.env.FAULTS_IN_APP ?? 6_000);
const EMAILS = Number(process.env.FAULTS_EMAILS ?? 3_000);
const APPROVALS = Number(process.env.FAULTS_APPROVALS ?? 500);

/** Where the work stands: notifications by status, the outbox backlog, pg-boss jobs by queue and state. */
async function snapshot(db: FaultStack['db']) {
  const statuses = await sql<{
    status: string;
    n: string;
  }>`SELECT status, count(*) AS n FROM notifications GROUP BY status`.execute(db);
  const outbox = await sql<{
    n: string;
  }>`SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL`.execute(db);
  const jobs = await sql<{
    name: string;
    state: string;
    n: string;
  }>`SELECT name, state, count(*) AS n FROM pgboss.job GROUP BY name, state`.execute(db);
  const errors = await sql<{ error: string; n: string }>`
    SELECT left(error, 160) AS error, count(*) AS n FROM notification_attempts WHERE NOT ok GROUP BY 1 ORDER BY 2 DESC LIMIT 3
  `.execute(db);
  return {
    notifications: Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)])),
    outboxPending: Number(outbox.rows[0]?.n ?? 0),
    jobs: Object.fromEntries(jobs.rows.map((r) => [`${r.name}:${r.state}`, Number(r.n)])),
    failedAttempts: Object.fromEntries(errors.rows.map((r) => [r.error, Number(r.n)])),
  };
}

describe('fault: the worker is killed (SIGKILL) mid-batch', () => {
  let stack: FaultStack;
  let worker: AppProcess;
  let orgId: string;
  let memberIds: string[];

  beforeAll(async () => {
    stack = await startFaultStack();
    orgId = (await createTestOrg(stack.db, { name: 'Faults Org' })).id;
    memberIds = [];
    for (let i = 0; i < 20; i++) memberIds.push((await createTestUser(stack.db, { orgId })).id);
    worker = await stack.start('worker');
  }, 120_000);
  afterAll(() => stack?.close());

  it('loses nothing and does nothing twice', async () => {
    const { db } = stack;
    const reviewer = await createTestUser(stack.db, { orgId, roles: ['editor'], name: 'Rita Reviewer' });
    const reviewerSession = testSession({
      orgId,
      userId: reviewer.id,
      roles: ['editor'],
      permissions: ['creators.review'],
    });
    const applicants: string[] = [];
    for (let i = 0; i < APPROVALS; i++)
      applicants.push((await createTestUser(db, { orgId, name: `Applicant ${i}` })).id);
    const applications: string[] = [];
    for (const userId of applicants) {
      const application = await applyForCreator({ db }, testSession({ orgId, userId, roles: ['viewer'] }), {
        experience: 'Ten years of radio features',
        motivation: 'I would like to publish my series here',
      });
      applications.push(application.id);
    }

    // Events flow in batches while the worker works; it is killed once a third of the work is done.
    const expectedNotifications = IN_APP + EMAILS + 2 * APPROVALS;
    const sentCount = async () =>
      Number(
        (
          await db
            .selectFrom('notifications')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('status', '=', 'sent')
            .executeTakeFirstOrThrow()
        ).n,
      );
    let killedAt: number | null = null;
    let killed = false;
    const killWhenAThirdIsDone = (async () => {
      await waitUntil(
        'a third of the notifications sent',
        async () => (await sentCount()) >= expectedNotifications / 3,
        300_000,
      );
      killedAt = await sentCount();
      await worker.kill('SIGKILL');
      killed = true;
    })();

    const startedAt = performance.now();
    const batch = 500;
    const batches = Math.ceil((IN_APP + EMAILS) / batch);
    const approvalsPerBatch = Math.ceil(APPROVALS / batches);
    for (let b = 0; b < batches; b++) {
      await db.transaction().execute(async (trx) => {
        for (let i = b * batch; i < Math.min((b + 1) * batch, IN_APP + EMAILS); i++) {
          await enqueueRawNotification(trx, {
            orgId,
            channel: i < IN_APP ? 'in_app' : 'email',
            to: { userId: memberIds[i % memberIds.length] ?? '' },
            subject: `Fault notice ${i}`,
            body: `Body of notice ${i}`,
            variables: {},
          });
        }
      });
      for (const id of applications.slice(b * approvalsPerBatch, (b + 1) * approvalsPerBatch)) {
        await approveApplication({ db }, reviewerSession, { id });
      }
    }
    await killWhenAThirdIsDone;
    expect(killed).toBe(true);
    const outageStarted = performance.now();
    await new Promise((r) => setTimeout(r, 2_000));
    await worker.restart();

    // Done means: every notification sent, every applicant a creator, the outbox drained.
    const grantedCount = async () =>
      Number(
        (
          await db
            .selectFrom('user_roles')
            .innerJoin('roles', 'roles.id', 'user_roles.role_id')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('roles.name', '=', 'creator')
            .where('user_roles.org_id', '=', orgId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const progress = setInterval(() => {
      void snapshot(db).then((state) => console.log(`[faults] progress ${JSON.stringify(state)}`));
    }, 30_000);
    const recoverySeconds = await waitUntil(
      'every notification sent and every role granted after the restart',
      async () => {
        const state = await snapshot(db);
        const total = Object.values(state.notifications).reduce((sum, n) => sum + n, 0);
        return (
          state.outboxPending === 0 &&
          total >= expectedNotifications &&
          (state.notifications.sent ?? 0) === total &&
          (await grantedCount()) >= APPROVALS
        );
      },
      420_000,
    ).finally(() => clearInterval(progress));

    const notifications = await db
      .selectFrom('notifications')
      .select(['id', 'status', 'channel'])
      .where('org_id', '=', orgId)
      .execute();
    const okAttempts = await sql<{ notification_id: string; n: string }>`
      SELECT notification_id, count(*) AS n FROM notification_attempts WHERE ok GROUP BY notification_id HAVING count(*) > 1
    `.execute(db);
    const interrupted = await sql<{ n: string }>`
      SELECT count(*) AS n FROM notification_attempts WHERE error LIKE 'interrupted:%'
    `.execute(db);
    // What the receiver got, per notification: distinct messages, and copies of the same message.
    const byNotification = new Map<string, Set<string>>();
    let copies = 0;
    for (const mail of stack.smtp.messages) {
      const id = String(mail.headers['x-atrium-notification'] ?? '');
      const ids = byNotification.get(id) ?? new Set<string>();
      if (ids.has(mail.messageId ?? '')) copies += 1;
      ids.add(mail.messageId ?? '');
      byNotification.set(id, ids);
    }
    const emailIds = new Set(notifications.filter((n) => n.channel === 'email').map((n) => n.id));
    const lostEmails = [...emailIds].filter((id) => !byNotification.has(id)).length;
    const distinctTwice = [...byNotification.values()].filter((ids) => ids.size > 1).length;
    // Every row sent, and no fewer rows than the load wrote (submissions add notices for reviewers).
    const lostNotifications =
      notifications.filter((n) => n.status !== 'sent').length +
      Math.max(0, expectedNotifications - notifications.length);
    const lostRoles = APPROVALS - (await grantedCount());

    report('worker killed (SIGKILL) mid-batch', {
      'events written': IN_APP + EMAILS + 2 * APPROVALS + 2 * APPROVALS,
      'notifications sent when killed': killedAt ?? 'n/a',
      'seconds from kill to all done': (performance.now() - outageStarted) / 1000,
      'seconds from restart to all done': recoverySeconds,
      'total seconds': (performance.now() - startedAt) / 1000,
      'lost notifications': lostNotifications,
      'lost emails (receiver)': lostEmails,
      'lost role grants': lostRoles,
      'duplicated deliveries (DB)': okAttempts.rows.length,
      'duplicated emails (new Message-ID)': distinctTwice,
      'resends of one message (same id)': copies,
      'attempts closed as interrupted': Number(interrupted.rows[0]?.n ?? 0),
    });
    expect(lostNotifications).toBe(0);
    expect(lostEmails).toBe(0);
    expect(lostRoles).toBe(0);
    expect(okAttempts.rows).toEqual([]);
    expect(distinctTwice).toBe(0);
  }, 900_000);
});
