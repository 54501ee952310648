import { useSmtpReceiver, useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';

/**
 * Dispatch is what these tests are about, so a platform operator has let their orgs email addresses
 * outside them (notifications/policy.ts; the restriction itself is tested over HTTP).
 */
const MAY_EMAIL_ANYONE = { notifications: { allowExternalRecipients: true } };

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/access/session.ts';
import { ConflictError, UnprocessableError } from '../../src/errors.ts';
import { getNotification, sendNotification } from '../../src/notifications/admin.ts';
import {
  dispatchNotification,
  notificationMessageId,
  retryDelaySeconds,
} from '../../src/notifications/dispatch.ts';
import { enqueueNotification } from '../../src/notifications/enqueue.ts';
import { listInbox } from '../../src/notifications/inbox.ts';
import { notificationsDispatchQueue } from '../../src/notifications/queue.ts';
import { MailDeliveryError } from '../../src/platform/mailer.ts';
import { createSmtpMailer } from '../../src/platform/smtp-mailer.ts';
import { createPostgresRealtimePublisher } from '../../src/realtime/publishers.ts';
import { REALTIME_PG_CHANNEL } from '../../src/realtime/wire.ts';

describe('notification dispatch (domain) against a real SMTP server', () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let mailer: ReturnType<typeof createSmtpMailer>;

  beforeAll(() => {
    mailer = createSmtpMailer({ url: smtp.url });
  });
  afterAll(async () => {
    await mailer?.close();
  });

  const deps = () => ({ db: t.db, mailer, realtime: createPostgresRealtimePublisher(t.db) });

  async function setup() {
    const orgId = (await createTestOrg(t.db, { name: 'Dispatch Org', settings: MAY_EMAIL_ANYONE })).id;
    const admin = await createTestUser(t.db, { orgId, name: 'Ada Admin' });
    return {
      orgId,
      session: testSession({
        orgId,
        userId: admin.id,
        roles: ['admin'],
        permissions: ['notifications.send'],
      }),
    };
  }

  async function emailTo(orgId: string, session: Session, address: string) {
    return sendNotification({ db: t.db }, session, {
      channel: 'email',
      to: { email: address },
      subject: 'Hello {{who}}',
      body: 'Dear {{who}},\n\nSee https://atrium.example/x?a=1&b=2 <now>.',
      variables: { who: 'Ada & Co' },
    }).then((n) => ({ id: n.id, orgId }));
  }

  function attempts(id: string) {
    return t.db
      .selectFrom('notification_attempts')
      .selectAll()
      .where('notification_id', '=', id)
      .orderBy('attempt_no')
      .execute();
  }

  it('sends one email (text and escaped HTML), records the attempt, and a redelivery sends nothing', async () => {
    const { orgId, session } = await setup();
    const address = `one.${crypto.randomUUID().slice(0, 8)}@example.test`;
    const { id } = await emailTo(orgId, session, address);

    const result = await dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false });
    expect(result).toMatchObject({ outcome: 'sent', attemptNo: 1 });
    const mail = await smtp.waitForMessage((m) => m.to.includes(address));
    expect(mail.subject).toBe('Hello Ada & Co');
    expect(mail.text.trim()).toBe('Dear Ada & Co,\n\nSee https://atrium.example/x?a=1&b=2 <now>.');
    expect(mail.html).toContain('Dear Ada &amp; Co,');
    expect(mail.html).toContain('&lt;now&gt;');
    expect(mail.html).toContain('<a href="https://atrium.example/x?a=1&amp;b=2">');
    expect(mail.headers['x-atrium-notification']).toBe(id);
    // Every attempt of a notification carries the same Message-ID (a resend is the same message).
    expect(mail.messageId).toBe(notificationMessageId(id));

    const [attempt] = await attempts(id);
    expect(attempt).toMatchObject({
      attempt_no: 1,
      ok: true,
      error: null,
      provider_message_id: mail.messageId,
    });
    expect(attempt?.finished_at).toBeInstanceOf(Date);
    const detail = await getNotification({ db: t.db }, session, { id });
    expect(detail).toMatchObject({ status: 'sent', attemptCount: 1, lastError: null });
    expect(detail.attempts).toHaveLength(1);

    // The job delivered again (a retry after a crash, a replay): nothing is sent twice.
    expect(await dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false })).toEqual({
      outcome: 'skipped',
      reason: 'already sent',
    });
    expect(smtp.messages.filter((m) => m.to.includes(address))).toHaveLength(1);
    expect(await attempts(id)).toHaveLength(1);
  });

  it('two deliveries racing on one notification send it once', async () => {
    const { orgId, session } = await setup();
    const address = `race.${crypto.randomUUID().slice(0, 8)}@example.test`;
    const { id } = await emailTo(orgId, session, address);
    const outcomes = await Promise.allSettled([
      dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false }),
      dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false }),
    ]);
    const sent = outcomes.filter((o) => o.status === 'fulfilled' && o.value.outcome === 'sent');
    expect(sent).toHaveLength(1);
    // The loser saw the attempt in flight (retryable 409) or, if it came later, the sent status.
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ConflictError);
      else if (outcome.value.outcome !== 'sent')
        expect(outcome.value).toEqual({ outcome: 'skipped', reason: 'already sent' });
    }
    await smtp.waitForMessage((m) => m.to.includes(address));
    expect(smtp.messages.filter((m) => m.to.includes(address))).toHaveLength(1);
    expect(await attempts(id)).toHaveLength(1);
  });

  it('a transient failure is recorded and rethrown for a retry; the retry succeeds', async () => {
    const { orgId, session } = await setup();
    const address = `transient.${crypto.randomUUID().slice(0, 8)}@example.test`;
    const { id } = await emailTo(orgId, session, address);
    await smtp.setFailure('reject-transient');
    const error = await dispatchNotification(deps(), {
      orgId,
      notificationId: id,
      lastDelivery: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect((error as MailDeliveryError).permanent).toBe(false);
    const [failed] = await attempts(id);
    expect(failed).toMatchObject({ attempt_no: 1, ok: false, permanent: false });
    expect(failed?.error).toContain('rejected 451');
    expect(failed?.error).not.toContain(address);
    const row = await t.db
      .selectFrom('notifications')
      .select([
        'status',
        'attempts',
        'last_error',
        sql<number>`extract(epoch from next_attempt_at - now())::float8`.as('next_in'),
      ])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    // pg-boss waits at least retryDelaySeconds · 2^0 before the first retry.
    expect(row.next_in).toBeGreaterThan(retryDelaySeconds(notificationsDispatchQueue, 1) - 2);
    expect(row.next_in).toBeLessThanOrEqual(retryDelaySeconds(notificationsDispatchQueue, 1));

    await smtp.setFailure('none');
    expect(
      await dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false }),
    ).toMatchObject({
      outcome: 'sent',
      attemptNo: 2,
    });
    expect((await attempts(id)).map((a) => a.ok)).toEqual([false, true]);
    expect(smtp.messages.filter((m) => m.to.includes(address))).toHaveLength(1);
    expect((await getNotification({ db: t.db }, session, { id })).status).toBe('sent');
  });

  it('a transient failure on the last delivery fails the notification and is thrown as permanent', async () => {
    const { orgId, session } = await setup();
    const { id } = await emailTo(orgId, session, `last.${crypto.randomUUID().slice(0, 8)}@example.test`);
    await smtp.setFailure('down');
    const error = await dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnprocessableError);
    const detail = await getNotification({ db: t.db }, session, { id });
    expect(detail).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null });
    expect(detail.failedAt).toBeInstanceOf(Date);
    expect(detail.lastError).toContain('unreachable');
    expect(await dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false })).toEqual({
      outcome: 'skipped',
      reason: 'already failed',
    });
  });

  it('a permanent refusal (550) fails the notification at once', async () => {
    const { orgId, session } = await setup();
    const address = `perm.${crypto.randomUUID().slice(0, 8)}@example.test`;
    const { id } = await emailTo(orgId, session, address);
    await smtp.setFailure('reject-permanent');
    const error = await dispatchNotification(deps(), {
      orgId,
      notificationId: id,
      lastDelivery: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect((error as MailDeliveryError).permanent).toBe(true);
    const detail = await getNotification({ db: t.db }, session, { id });
    expect(detail).toMatchObject({ status: 'failed', attemptCount: 1 });
    expect(detail.attempts[0]).toMatchObject({ ok: false, permanent: true });
    expect(detail.attempts[0]?.error).toContain('550');
    expect(detail.attempts[0]?.error).not.toContain(address);
  });

  it('cancelled: nothing is sent; scheduled: not due until its time', async () => {
    const { orgId, session } = await setup();
    const address = `sched.${crypto.randomUUID().slice(0, 8)}@example.test`;
    const due = new Date(Date.now() + 3_600_000);
    const scheduled = await sendNotification({ db: t.db }, session, {
      channel: 'email',
      to: { email: address },
      subject: 'Later',
      body: 'Later body',
      scheduleAt: due,
    });
    expect(
      await dispatchNotification(deps(), { orgId, notificationId: scheduled.id, lastDelivery: false }),
    ).toEqual({ outcome: 'not-due', dueAt: due });
    expect(await attempts(scheduled.id)).toEqual([]);
    expect((await getNotification({ db: t.db }, session, { id: scheduled.id })).status).toBe('scheduled');

    // Its time comes.
    await t.db
      .updateTable('notifications')
      .set({ scheduled_at: new Date(Date.now() - 1000) })
      .where('id', '=', scheduled.id)
      .execute();
    expect(
      await dispatchNotification(deps(), { orgId, notificationId: scheduled.id, lastDelivery: false }),
    ).toMatchObject({ outcome: 'sent' });
    await smtp.waitForMessage((m) => m.to.includes(address));

    const cancelled = await emailTo(orgId, session, `cancel.${crypto.randomUUID().slice(0, 8)}@example.test`);
    await t.db
      .updateTable('notifications')
      .set({ status: 'cancelled' })
      .where('id', '=', cancelled.id)
      .execute();
    expect(
      await dispatchNotification(deps(), { orgId, notificationId: cancelled.id, lastDelivery: false }),
    ).toEqual({ outcome: 'skipped', reason: 'already cancelled' });
  });

  it('an attempt left in flight by a dead worker is closed as unknown once stale, and a new one is made', async () => {
    const { orgId, session } = await setup();
    const address = `stale.${crypto.randomUUID().slice(0, 8)}@example.test`;
    const { id } = await emailTo(orgId, session, address);
    await t.db
      .insertInto('notification_attempts')
      .values({
        notification_id: id,
        org_id: orgId,
        attempt_no: 1,
        ok: null,
        at: new Date(Date.now() - 3_600_000),
      })
      .execute();
    await t.db.updateTable('notifications').set({ attempts: 1 }).where('id', '=', id).execute();
    expect(
      await dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false }),
    ).toMatchObject({
      outcome: 'sent',
      attemptNo: 2,
    });
    const rows = await attempts(id);
    expect(rows.map((a) => a.ok)).toEqual([false, true]);
    expect(rows[0]?.error).toMatch(/interrupted/);

    // A fresh in-flight attempt, by contrast, makes a second delivery back off (retryable 409).
    const other = await emailTo(orgId, session, `busy.${crypto.randomUUID().slice(0, 8)}@example.test`);
    await t.db
      .insertInto('notification_attempts')
      .values({ notification_id: other.id, org_id: orgId, attempt_no: 1, ok: null })
      .execute();
    await expect(
      dispatchNotification(deps(), { orgId, notificationId: other.id, lastDelivery: false }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('in-app: delivered to the inbox without SMTP and announced as notification.new to the recipient only', async () => {
    const { orgId, session } = await setup();
    const reader = await createTestUser(t.db, { orgId, name: 'Rita Reader' });
    const listener = await t.pool.connect();
    const events: Array<{
      type: string;
      orgId: string;
      payload: Record<string, unknown>;
      audience?: unknown;
    }> = [];
    listener.on('notification', (n) => {
      if (n.channel === REALTIME_PG_CHANNEL && n.payload) events.push(JSON.parse(n.payload));
    });
    await listener.query(`LISTEN ${REALTIME_PG_CHANNEL}`);
    try {
      const before = smtp.messages.length;
      const { id } = await t.db.transaction().execute((trx) =>
        enqueueNotification(trx, {
          orgId,
          channel: 'in_app',
          to: { userId: reader.id },
          templateKey: 'creator-rejected',
          variables: { reason: 'Portfolio <b>missing</b>' },
        }),
      );
      expect(await dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false })).toEqual({
        outcome: 'sent',
        attemptNo: 1,
        providerMessageId: null,
      });
      const deadline = Date.now() + 5_000;
      while (!events.some((e) => e.type === 'notification.new') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const event = events.find((e) => e.type === 'notification.new');
      expect(event).toMatchObject({
        orgId,
        audience: { userIds: [reader.id] },
        payload: {
          id,
          templateKey: 'creator-rejected',
          subject: 'Creator application not approved',
          body: 'Your creator application was not approved. Reason: Portfolio <b>missing</b>',
        },
      });
      expect(smtp.messages.length).toBe(before);
      const inbox = await listInbox({ db: t.db }, testSession({ orgId, userId: reader.id }), {});
      expect(inbox.items.map((item) => item.id)).toEqual([id]);
      expect((await getNotification({ db: t.db }, session, { id })).status).toBe('sent');
      // Delivered once only.
      expect(
        await dispatchNotification(deps(), { orgId, notificationId: id, lastDelivery: false }),
      ).toMatchObject({
        outcome: 'skipped',
      });
      expect(events.filter((e) => e.type === 'notification.new' && e.payload.id === id)).toHaveLength(1);
    } finally {
      await listener.query(`UNLISTEN ${REALTIME_PG_CHANNEL}`);
      listener.release();
    }
  });
});
