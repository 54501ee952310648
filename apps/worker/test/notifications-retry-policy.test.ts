import type { Session } from '@atrium/domain/access/session';
import { sendNotification } from '@atrium/domain/notifications/admin';
import { notificationsDispatchQueue } from '@atrium/domain/notifications/queue';
import { useSmtpReceiver, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, createTestUser, jobsOf, type TestUser, testSession } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testWorkerEnv } from '../src/testing.ts';
import { type RunningWorker, startWorker } from '../src/worker.ts';

const QUEUE = notificationsDispatchQueue.name;
const DEAD_LETTER = notificationsDispatchQueue.deadLetter;

/**
 * `notifications.dispatch` under its production policy (the application's catalogue, unlike
 * notifications.test.ts): 8 retries from 15 s doubling to 30 min, permanent failures dead-lettered at
 * once. Waiting out the first delay is replaced by moving the retry's start time to now — pg-boss then
 * runs it exactly as it would 15 s later.
 */
describe('notification retries under the production policy', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let worker: RunningWorker;
  let orgId: string;
  let session: Session;

  beforeAll(async () => {
    worker = await startWorker(testWorkerEnv(t.url, { SMTP_URL: smtp.url }));
    orgId = (await createTestOrg(t.db, { name: 'Policy Org' })).id;
    const admin = await createTestUser(t.db, { orgId, roles: ['admin'] });
    session = testSession({ orgId, userId: admin.id, roles: ['admin'], permissions: ['notifications.send'] });
  });
  afterAll(async () => {
    await smtp.setFailure('none');
    await worker?.stop();
  });

  const mailTo = async (member: TestUser) =>
    (
      await sendNotification({ db: t.db }, session, {
        channel: 'email',
        to: { userId: member.id },
        subject: 'Policy check',
        body: 'Hello {{name}}',
      })
    ).id;
  const notification = (id: string) =>
    t.db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const attempts = (id: string) =>
    t.db
      .selectFrom('notification_attempts')
      .selectAll()
      .where('notification_id', '=', id)
      .orderBy('attempt_no')
      .execute();
  const jobOf = async (queue: string, notificationId: string) =>
    (await jobsOf(t.db, queue)).find(
      (job) =>
        (job.data as { payload?: { notificationId?: string } }).payload?.notificationId === notificationId,
    );

  it('a transient failure waits 15–30 s for its first retry, of 8; the retry then delivers once', async () => {
    const member = await createTestUser(t.db, { orgId, name: 'Tia Transient' });
    await smtp.setFailure('reject-transient');
    const id = await mailTo(member);
    const [failed] = await waitFor(async () => {
      const rows = await attempts(id);
      return rows[0]?.finished_at ? rows : null;
    });
    expect(failed).toMatchObject({ attempt_no: 1, ok: false, permanent: false });

    const job = await waitFor(async () => {
      const found = await jobOf(QUEUE, id);
      return found?.state === 'retry' ? found : null;
    });
    const { rows } = await sql<{ retry_limit: number; delay_ms: number }>`
      SELECT retry_limit, (extract(epoch FROM start_after - now()) * 1000)::int AS delay_ms
        FROM pgboss.job WHERE id = ${job.id}`.execute(t.db);
    expect(rows[0]?.retry_limit).toBe(8);
    // 15 s · 2^0 · (1 + jitter): between 15 and 30 s after the failure (a little of which has passed).
    expect(rows[0]?.delay_ms).toBeGreaterThan(12_000);
    expect(rows[0]?.delay_ms).toBeLessThanOrEqual(30_000);
    const row = await notification(id);
    expect(row).toMatchObject({ status: 'pending', max_attempts: 9 });
    expect(row.next_attempt_at!.getTime() - failed!.finished_at!.getTime()).toBeGreaterThanOrEqual(14_000);
    expect(row.next_attempt_at!.getTime() - failed!.finished_at!.getTime()).toBeLessThanOrEqual(16_000);

    // The provider is back; time passes (the retry's start moved to now).
    await smtp.setFailure('none');
    await sql`UPDATE pgboss.job SET start_after = now() WHERE id = ${job.id}`.execute(t.db);
    const delivered = await waitFor(async () => {
      const current = await notification(id);
      return current.status === 'sent' ? current : null;
    });
    expect(delivered.next_attempt_at).toBeNull();
    expect((await attempts(id)).map((attempt) => [attempt.attempt_no, attempt.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(smtp.messages.filter((m) => m.to.includes(member.email))).toHaveLength(1);
    // pg-boss counts a claim as a retry: the second attempt ran as retry 1.
    expect(await jobOf(QUEUE, id)).toMatchObject({ state: 'completed', retry_count: 1 });
  });

  it('a permanent failure burns no retry: failed at once and dead-lettered', async () => {
    const member = await createTestUser(t.db, { orgId, name: 'Pia Permanent' });
    await smtp.setFailure('reject-permanent');
    const id = await mailTo(member);
    const row = await waitFor(async () => {
      const current = await notification(id);
      return current.status === 'failed' ? current : null;
    });
    expect(row.last_error).toMatch(/550/);
    expect(
      (await attempts(id)).map((attempt) => [attempt.attempt_no, attempt.ok, attempt.permanent]),
    ).toEqual([[1, false, true]]);
    const job = await waitFor(async () => {
      const found = await jobOf(QUEUE, id);
      return found?.state === 'failed' ? found : null;
    });
    expect(job.retry_count).toBe(0); // the only attempt
    expect(await waitFor(() => jobOf(DEAD_LETTER, id), { what: 'the dead letter' })).toMatchObject({
      state: 'created',
    });
    await smtp.setFailure('none');
  });
});
