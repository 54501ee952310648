import { defineCatalogue } from '@atrium/domain';
import type { Session } from '@atrium/domain/access/session';
import { cancelNotification, getNotification, sendNotification } from '@atrium/domain/notifications/admin';
import { createPgBossOpsQueues } from '@atrium/jobs';
import { sleep, useSmtpReceiver, useTestDatabase, waitFor } from '@atrium/testkit';
import {
  createTestOrg,
  createTestUser,
  jobsOf,
  startTestBoss,
  testSession,
  uniqueEmail,
} from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationsDispatchHandler, scheduledJobId } from '../src/handlers/notifications.ts';
import type { QueueHandlers } from '../src/job-runner.ts';
import { fastNotificationsDispatch, testWorkerEnv } from '../src/testing.ts';
import { type RunningWorker, startWorker } from '../src/worker.ts';

/**
 * Notifications through the real pipeline: use case → notifications row + outbox → relay → pg-boss
 * `notifications.dispatch` → handler → SMTP receiver. The queue keeps its name and handler but runs
 * a fast retry policy (2 retries, 1 s apart) so exhausting retries takes seconds.
 */
const catalogue = defineCatalogue(fastNotificationsDispatch);
const handlers: QueueHandlers<typeof catalogue> = {
  'notifications.dispatch': createNotificationsDispatchHandler(fastNotificationsDispatch),
};
const DEAD_LETTER = 'notifications.dispatch.dead-letter';

describe('notifications dispatched by the worker', { timeout: 30_000 }, () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let worker: RunningWorker;
  let orgId: string;
  let session: Session;

  beforeAll(async () => {
    worker = await startWorker(testWorkerEnv(t.url, { SMTP_URL: smtp.url }), {
      queues: { catalogue, handlers },
    });
    orgId = (
      await createTestOrg(t.db, {
        name: 'Pipeline Org',
        // An operator let this org email addresses outside it (the restriction is tested over HTTP).
        settings: { notifications: { allowExternalRecipients: true } },
      })
    ).id;
    const admin = await createTestUser(t.db, { orgId, name: 'Ada', email: uniqueEmail('admin') });
    session = testSession({
      userId: admin.id,
      orgId,
      roles: ['admin'],
      permissions: ['notifications.send'],
    });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  const address = (label: string) => `${label}.${crypto.randomUUID().slice(0, 8)}@example.test`;
  const send = (to: string, extra: { scheduleAt?: Date } = {}) =>
    sendNotification({ db: t.db }, session, {
      channel: 'email',
      to: { email: to },
      subject: 'Pipeline {{n}}',
      body: 'Body {{n}}',
      variables: { n: 1 },
      ...extra,
    });
  const status = async (id: string) => (await getNotification({ db: t.db }, session, { id })).status;
  const deadLettersOf = async (id: string) =>
    (await jobsOf(t.db, DEAD_LETTER)).filter(
      (job) => (job.data.payload as { notificationId?: string } | undefined)?.notificationId === id,
    );

  it('send → relay → dispatch → exactly one message; a duplicate job sends nothing more', async () => {
    const to = address('pipeline');
    const { id } = await send(to);
    const mail = await smtp.waitForMessage((m) => m.to.includes(to), 15_000);
    expect(mail.subject).toBe('Pipeline 1');
    expect(mail.headers['x-atrium-notification']).toBe(id);
    await waitFor(async () => (await status(id)) === 'sent', { what: 'status sent' });

    // The same envelope delivered again (a replayed event whose first job is gone, a redrive).
    const [job] = await jobsOf(t.db, 'notifications.dispatch');
    const boss = await startTestBoss(t.url);
    try {
      const duplicate = await boss.send('notifications.dispatch', job?.data ?? {});
      await waitFor(
        async () =>
          (await jobsOf(t.db, 'notifications.dispatch')).find((j) => j.id === duplicate)?.state ===
          'completed',
        { what: 'the duplicate job to complete' },
      );
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
    expect(smtp.messages.filter((m) => m.to.includes(to))).toHaveLength(1);
    const detail = await getNotification({ db: t.db }, session, { id });
    expect(detail.attempts).toHaveLength(1);
  });

  it('SMTP failing: every attempt recorded, then failed and dead-lettered after the last retry', async () => {
    await smtp.setFailure('reject-transient');
    const to = address('flaky');
    const { id } = await send(to);
    await waitFor(async () => (await status(id)) === 'failed', { timeoutMs: 20_000, what: 'status failed' });
    const detail = await getNotification({ db: t.db }, session, { id });
    expect(detail.attempts.map((a) => [a.attemptNo, a.ok, a.permanent])).toEqual([
      [1, false, false],
      [2, false, false],
      [3, false, false],
    ]);
    expect(detail.attempts.every((a) => a.error?.includes('451'))).toBe(true);
    expect(detail).toMatchObject({ attemptCount: 3, nextAttemptAt: null });
    const dead = await waitFor(async () => (await deadLettersOf(id))[0], { what: 'the dead letter' });
    expect(dead.data).toMatchObject({ type: 'NotificationRequested', payload: { notificationId: id } });
    expect(smtp.messages.filter((m) => m.to.includes(to))).toHaveLength(0);
  });

  it('a permanent refusal fails at the first attempt and dead-letters without retries', async () => {
    await smtp.setFailure('reject-permanent');
    const to = address('bounce');
    const { id } = await send(to);
    await waitFor(async () => (await status(id)) === 'failed', { timeoutMs: 15_000, what: 'status failed' });
    await waitFor(async () => (await deadLettersOf(id))[0], { what: 'the dead letter' });
    const detail = await getNotification({ db: t.db }, session, { id });
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0]).toMatchObject({ ok: false, permanent: true });
    const [source] = (await jobsOf(t.db, 'notifications.dispatch')).filter(
      (job) => (job.data.payload as { notificationId?: string }).notificationId === id,
    );
    expect(source?.retry_count).toBe(0);
  });

  it('scheduleAt: held until its time by a pg-boss job that starts then; a cancelled one never goes', async () => {
    const to = address('scheduled');
    const due = new Date(Date.now() + 3_000);
    const scheduled = await send(to, { scheduleAt: due });
    const cancelledTo = address('cancelled');
    const cancelled = await send(cancelledTo, { scheduleAt: due });

    // The request job ran and handed over to a job starting at the due time.
    const event = await t.db
      .selectFrom('outbox_events')
      .select('id')
      .where('aggregate_id', '=', scheduled.id)
      .executeTakeFirstOrThrow();
    const laterId = scheduledJobId(event.id, due);
    const later = await waitFor(
      async () => (await jobsOf(t.db, 'notifications.dispatch')).find((job) => job.id === laterId),
      { what: 'the scheduled job' },
    );
    expect(later.start_after.getTime()).toBe(due.getTime());
    expect(await status(scheduled.id)).toBe('scheduled');

    // The other one is cancelled once its own delivery job waits: that job is cancelled with it.
    const cancelledEvent = await t.db
      .selectFrom('outbox_events')
      .select('id')
      .where('aggregate_id', '=', cancelled.id)
      .executeTakeFirstOrThrow();
    const cancelledJobId = scheduledJobId(cancelledEvent.id, due);
    await waitFor(
      async () => (await jobsOf(t.db, 'notifications.dispatch')).find((job) => job.id === cancelledJobId),
      { what: 'the other scheduled job' },
    );
    await cancelNotification({ db: t.db, jobs: createPgBossOpsQueues({ boss: worker.boss }) }, session, {
      id: cancelled.id,
    });
    const jobAfterCancel = (await jobsOf(t.db, 'notifications.dispatch')).find(
      (job) => job.id === cancelledJobId,
    );
    expect(jobAfterCancel?.state).toBe('cancelled');

    await sleep(Math.max(0, due.getTime() - Date.now() - 500));
    expect(smtp.messages.filter((m) => m.to.includes(to))).toHaveLength(0);
    const mail = await smtp.waitForMessage((m) => m.to.includes(to), 15_000);
    expect(new Date(mail.receivedAt).getTime()).toBeGreaterThanOrEqual(due.getTime());
    await waitFor(async () => (await status(scheduled.id)) === 'sent', { what: 'status sent' });
    // The cancelled one's job never ran, and nothing was sent.
    expect(
      (await jobsOf(t.db, 'notifications.dispatch')).find((job) => job.id === cancelledJobId)?.state,
    ).toBe('cancelled');
    expect(smtp.messages.filter((m) => m.to.includes(cancelledTo))).toHaveLength(0);
    expect(await status(cancelled.id)).toBe('cancelled');
  });
});
