import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';

/**
 * Dispatch is what these tests are about, so a platform operator has let their orgs email addresses
 * outside them (notifications/policy.ts; the restriction itself is tested over HTTP).
 */
const MAY_EMAIL_ANYONE = { notifications: { allowExternalRecipients: true } };

import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.ts';
import {
  cancelNotification,
  getNotification,
  listNotifications,
  sendNotification,
} from '../../src/notifications/admin.ts';
import { notificationKeyring, recipientHash } from '../../src/notifications/crypto.ts';
import { enqueueNotification, enqueueRawNotification } from '../../src/notifications/enqueue.ts';

/** What the creator programme passes with `creator-approved`. */
const APPROVED = {
  applicationId: 'app-1',
  approvedAt: '2026-11-29 09:00 UTC',
  roleName: 'creator',
  nextSteps: 'Create your first piece.',
};

describe('enqueueNotification and the notifications admin use cases', () => {
  const t = useTestDatabase();

  async function setup(name = 'Enqueue Org') {
    const orgId = (await createTestOrg(t.db, { name, settings: MAY_EMAIL_ANYONE })).id;
    const admin = await createTestUser(t.db, { orgId, name: 'Ada Admin' });
    return {
      orgId,
      admin,
      session: testSession({
        orgId,
        userId: admin.id,
        roles: ['admin'],
        permissions: ['notifications.send'],
      }),
    };
  }

  /** Every column of the row as PostgreSQL prints it: what someone with a database dump sees. */
  async function rawRow(id: string): Promise<string> {
    const { rows } = await sql<{
      row: string;
    }>`SELECT n::text AS row FROM notifications n WHERE id = ${id}`.execute(t.db);
    return rows[0]?.row ?? '';
  }

  it('stores the address only encrypted, with a keyed lookup hash that list filters by', async () => {
    const { orgId, session } = await setup();
    const address = `Grace.Hopper+${crypto.randomUUID().slice(0, 8)}@Example.test`;
    const { id } = await t.db.transaction().execute((trx) =>
      enqueueRawNotification(trx, {
        orgId,
        channel: 'email',
        to: { email: address },
        subject: 'Hello',
        body: 'Plain news for {{orgName}}',
        variables: {},
      }),
    );
    const raw = await rawRow(id);
    expect(raw.toLowerCase()).not.toContain('grace.hopper');
    expect(raw.toLowerCase()).not.toContain(Buffer.from('grace.hopper').toString('hex'));
    const row = await t.db
      .selectFrom('notifications')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.recipient_email_hash).toBe(recipientHash(notificationKeyring(), address));
    expect(row).toMatchObject({ status: 'pending', channel: 'email', sensitive: false, subject: 'Hello' });
    expect(row.body).toBe('Plain news for Enqueue Org');

    // Admins see the address (decrypted) and can find the notification by it, in any case.
    const found = await listNotifications({ db: t.db }, session, { recipient: address.toUpperCase() });
    expect(found.items.map((item) => item.id)).toEqual([id]);
    expect(found.items[0]?.to.email).toBe(address);
    const none = await listNotifications({ db: t.db }, session, { recipient: 'someone.else@example.test' });
    expect(none.items).toEqual([]);
  });

  it('writes NotificationRequested in the caller’s transaction: a rollback leaves neither row nor event', async () => {
    const { orgId } = await setup();
    const user = await createTestUser(t.db, { orgId });
    let id = '';
    await t.db
      .transaction()
      .execute(async (trx) => {
        ({ id } = await enqueueNotification(trx, {
          orgId,
          channel: 'in_app',
          to: { userId: user.id },
          templateKey: 'creator-approved',
          variables: APPROVED,
        }));
        throw new Error('the caller failed after enqueueing');
      })
      .catch(() => {});
    expect(id).not.toBe('');
    expect(await t.db.selectFrom('notifications').select('id').where('id', '=', id).execute()).toEqual([]);
    expect(
      await t.db.selectFrom('outbox_events').select('id').where('aggregate_id', '=', id).execute(),
    ).toEqual([]);

    const committed = await t.db.transaction().execute((trx) =>
      enqueueNotification(trx, {
        orgId,
        channel: 'in_app',
        to: { userId: user.id },
        templateKey: 'creator-approved',
        variables: APPROVED,
      }),
    );
    const event = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', committed.id)
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({
      type: 'NotificationRequested',
      org_id: orgId,
      aggregate_type: 'notification',
    });
    expect(event.payload).toEqual({ notificationId: committed.id, channel: 'in_app' });
  });

  it('resolves a user recipient’s address and fills name and orgName', async () => {
    const { orgId, session } = await setup('Acme Media');
    const user = await createTestUser(t.db, { orgId, name: 'Lin Reader' });
    const { id } = await t.db.transaction().execute((trx) =>
      enqueueNotification(trx, {
        orgId,
        channel: 'email',
        to: { userId: user.id },
        templateKey: 'creator-approved',
        variables: APPROVED,
      }),
    );
    const detail = await getNotification({ db: t.db }, session, { id });
    expect(detail.to).toEqual({ userId: user.id, email: user.email, name: 'Lin Reader' });
    expect(detail.subject).toBe('Content Creator Application Approved');
    expect(detail.body).toContain('Hello Lin Reader,');
    expect(detail.body).toContain(
      'Your creator application in Acme Media was approved on 2026-11-29 09:00 UTC.',
    );
    expect(detail.body).toContain('Next steps: Create your first piece.');
    expect(detail.variables).toMatchObject({ name: 'Lin Reader', orgName: 'Acme Media' });
  });

  it('refuses bad requests with 400 and another org’s user with 404, changing nothing', async () => {
    const { orgId } = await setup();
    const other = await setup('Elsewhere');
    const stranger = await createTestUser(t.db, { orgId: other.orgId });
    const user = await createTestUser(t.db, { orgId });
    const attempt = (input: Parameters<typeof enqueueNotification>[1]) =>
      t.db.transaction().execute((trx) => enqueueNotification(trx, input));
    const base = { orgId, channel: 'email' as const, to: { userId: user.id }, variables: APPROVED };

    await expect(
      attempt({ ...base, variables: { applicationId: 'a' }, templateKey: 'creator-rejected' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      fieldErrors: { 'variables.reason': ['Fill in “reason”: the message uses it'] },
    });
    await expect(
      attempt({
        ...base,
        channel: 'in_app',
        to: { email: 'x@example.test' },
        templateKey: 'creator-approved',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR', fieldErrors: { to: expect.any(Array) } });
    await expect(attempt({ ...base, templateKey: 'no-such-template' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      attempt({ ...base, templateKey: 'creator-approved', variables: { x: { nested: 1 } } }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      attempt({ ...base, templateKey: 'creator-approved', locale: 'not a locale!' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      attempt({ ...base, to: { userId: stranger.id }, templateKey: 'creator-approved' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    // enqueueNotification needs the caller's transaction.
    await expect(
      enqueueNotification(t.db as never, { ...base, templateKey: 'creator-approved' }),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(await t.db.selectFrom('notifications').select('id').where('org_id', '=', orgId).execute()).toEqual(
      [],
    );
  });

  it('sensitive: subject, body and variables exist only sealed, and list/get redact them', async () => {
    const { orgId, session } = await setup();
    const user = await createTestUser(t.db, { orgId });
    // verify-email is a sensitive template: the flag is implied.
    const { id } = await t.db.transaction().execute((trx) =>
      enqueueNotification(trx, {
        orgId,
        channel: 'email',
        to: { userId: user.id },
        templateKey: 'verify-email',
        variables: { code: '482913', validMinutes: 15 },
      }),
    );
    const raw = await rawRow(id);
    expect(raw).not.toContain('482913');
    const row = await t.db
      .selectFrom('notifications')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ sensitive: true, subject: null, body: null, variables: null });
    expect(row.content_enc?.length).toBeGreaterThan(40);

    const detail = await getNotification({ db: t.db }, session, { id });
    expect(detail).toMatchObject({
      sensitive: true,
      redacted: true,
      subject: null,
      body: null,
      variables: null,
    });
    expect(JSON.stringify(detail)).not.toContain('482913');
    const listed = await listNotifications({ db: t.db }, session, { templateKey: 'verify-email' });
    expect(listed.items[0]).toMatchObject({ id, redacted: true, subject: null });

    // A raw send can be marked sensitive too.
    const raw2 = await sendNotification({ db: t.db }, session, {
      channel: 'in_app',
      to: { userId: user.id },
      subject: 'Your door code',
      body: 'It is {{door}}',
      variables: { door: '7788' },
      sensitive: true,
    });
    expect(raw2).toMatchObject({ redacted: true, body: null });
    expect(await rawRow(raw2.id)).not.toContain('7788');
  });

  it('scheduleAt in the future makes it scheduled; in the past it is pending', async () => {
    const { orgId, session } = await setup();
    const user = await createTestUser(t.db, { orgId });
    const later = new Date(Date.now() + 60 * 60 * 1000);
    const scheduled = await sendNotification({ db: t.db }, session, {
      channel: 'in_app',
      to: { userId: user.id },
      subject: 'Later',
      body: 'Reminder',
      scheduleAt: later,
    });
    expect(scheduled).toMatchObject({ status: 'scheduled', scheduledAt: later });
    const now = await sendNotification({ db: t.db }, session, {
      channel: 'in_app',
      to: { userId: user.id },
      subject: 'Now',
      body: 'Reminder',
      scheduleAt: new Date(Date.now() - 1000),
    });
    expect(now).toMatchObject({ status: 'pending', scheduledAt: null });
    await expect(
      sendNotification({ db: t.db }, session, {
        channel: 'in_app',
        to: { userId: user.id },
        subject: 'Too far',
        body: 'x',
        scheduleAt: new Date(Date.now() + 400 * 24 * 60 * 60 * 1000),
      }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('send is audited without address or content; template and raw content are exclusive', async () => {
    const { orgId, session } = await setup();
    const sent = await sendNotification({ db: t.db }, session, {
      channel: 'email',
      to: { email: 'audit.me@example.test' },
      subject: 'Hi {{who}}',
      body: 'Body for {{who}}',
      variables: { who: 'you' },
    });
    expect(sent).toMatchObject({
      status: 'pending',
      subject: 'Hi you',
      body: 'Body for you',
      createdBy: session.userId,
    });
    const entry = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'resource_id', 'actor_id', 'payload'])
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      action: 'notification.queued',
      resource_id: sent.id,
      actor_id: session.userId,
    });
    expect(JSON.stringify(entry.payload)).not.toContain('audit.me');
    expect(JSON.stringify(entry.payload)).not.toContain('Body for');

    await expect(
      sendNotification({ db: t.db }, session, {
        channel: 'email',
        to: { email: 'x@example.test' },
        templateKey: 'creator-approved',
        subject: 'both',
        body: 'both',
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      sendNotification({ db: t.db }, session, { channel: 'email', to: { email: 'x@example.test' } }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('cancel: pending or scheduled only (else 409), audited, another org’s → 404', async () => {
    const { orgId, session } = await setup();
    const other = await setup('Other');
    const user = await createTestUser(t.db, { orgId });
    const sent = await sendNotification({ db: t.db }, session, {
      channel: 'in_app',
      to: { userId: user.id },
      subject: 'Cancel me',
      body: 'x',
      scheduleAt: new Date(Date.now() + 3_600_000),
    });
    await expect(cancelNotification({ db: t.db }, other.session, { id: sent.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(getNotification({ db: t.db }, other.session, { id: sent.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await listNotifications({ db: t.db }, other.session, {})).items).toEqual([]);

    const cancelled = await cancelNotification({ db: t.db }, session, { id: sent.id });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelledAt).toBeInstanceOf(Date);
    await expect(cancelNotification({ db: t.db }, session, { id: sent.id })).rejects.toBeInstanceOf(
      ConflictError,
    );

    const done = await sendNotification({ db: t.db }, session, {
      channel: 'in_app',
      to: { userId: user.id },
      subject: 'Done',
      body: 'x',
    });
    await t.db
      .updateTable('notifications')
      .set({ status: 'sent', sent_at: new Date() })
      .where('id', '=', done.id)
      .execute();
    await expect(cancelNotification({ db: t.db }, session, { id: done.id })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { status: 'sent' },
    });
    const actions = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('org_id', '=', orgId)
      .where('action', '=', 'notification.cancelled')
      .execute();
    expect(actions).toHaveLength(1);
  });

  it('list pages newest first with a cursor and filters by status, channel and user', async () => {
    const { orgId, session } = await setup();
    const user = await createTestUser(t.db, { orgId });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (
          await sendNotification({ db: t.db }, session, {
            channel: i % 2 === 0 ? 'in_app' : 'email',
            to: { userId: user.id },
            subject: `N${i}`,
            body: 'x',
          })
        ).id,
      );
    }
    const first = await listNotifications({ db: t.db }, session, { limit: 2 });
    expect(first.items.map((n) => n.id)).toEqual([ids[4], ids[3]]);
    const second = await listNotifications({ db: t.db }, session, {
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect(second.items.map((n) => n.id)).toEqual([ids[2], ids[1]]);
    const third = await listNotifications({ db: t.db }, session, {
      limit: 2,
      cursor: second.nextCursor ?? '',
    });
    expect(third.items.map((n) => n.id)).toEqual([ids[0]]);
    expect(third.nextCursor).toBeNull();
    expect((await listNotifications({ db: t.db }, session, { channel: 'email' })).items).toHaveLength(2);
    expect(
      (await listNotifications({ db: t.db }, session, { userId: user.id, status: 'pending' })).items,
    ).toHaveLength(5);
    await expect(listNotifications({ db: t.db }, session, { cursor: 'garbage' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
