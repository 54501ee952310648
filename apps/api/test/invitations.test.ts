import type { Database } from '@atrium/db';
import { notificationKeyring, recipientHashCandidates } from '@atrium/domain/notifications/crypto';
import type { Mailer } from '@atrium/domain/platform/mailer';
import { createSmtpMailer } from '@atrium/domain/platform/smtp-mailer';
import { useSmtpReceiver, useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, type TestUser, uniqueEmail } from '@atrium/testkit/factories';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, type LoginData, login, startTestApi } from './auth-helpers.ts';
import { dispatchQueued } from './notifications-helpers.ts';

interface Invitation {
  id: string;
  email: string;
  name: string;
  roles: string[];
  status: 'pending' | 'expired' | 'accepted' | 'revoked';
  invitedBy: { id: string; name: string } | null;
  sendCount: number;
}

/** The newest invitation email queued for `email`, sent through the real dispatcher, read back from SMTP. */
async function deliveredLink(
  db: Kysely<Database>,
  mailer: Mailer,
  smtp: ReturnType<typeof useSmtpReceiver>,
  email: string,
): Promise<{ token: string; subject: string; text: string }> {
  const row = await db
    .selectFrom('notifications')
    .select('id')
    .where('template_key', 'in', ['invitation', 'invitation-existing-account'])
    .where('recipient_email_hash', 'in', recipientHashCandidates(notificationKeyring(), email))
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const messageId = await dispatchQueued(db, mailer, { queued: true, notificationId: row.id });
  const mail = await smtp.waitForMessage((m) => m.to.includes(email) && m.messageId === messageId);
  const token = /accept-invitation\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1] ?? '';
  return { token, subject: mail.subject, text: mail.text };
}

describe('invitations (users.invite replaces users.create)', () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let api: RunningApi;
  let mailer: Mailer;
  let orgId: string;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    mailer = createSmtpMailer({ url: smtp.url });
    orgId = (await createTestOrg(t.db, { name: 'Harbour Media' })).id;
    admin = await createTestUser(t.db, { orgId, roles: ['admin'], name: 'Ada' });
    adminToken = (await login(api, admin)).accessToken;
  });
  afterAll(async () => {
    await mailer.close();
    await api.close();
  });

  const invite = (input: { email: string; name?: string; roles?: string[] }, token = adminToken) =>
    call<Invitation>(api, 'users.invite', {
      token,
      input: { name: 'Ivy Invitee', roles: ['editor'], ...input },
    });

  it('invite → email with a link → the invitee chooses a password and is signed in with the invited roles', async () => {
    const email = uniqueEmail('ivy');
    const invited = await invite({ email });
    expect(invited.status).toBe(200);
    expect(invited.data).toMatchObject({
      email,
      name: 'Ivy Invitee',
      roles: ['editor'],
      status: 'pending',
      invitedBy: { id: admin.id, name: 'Ada' },
      sendCount: 1,
    });
    // No account exists yet: nothing to squat.
    expect(
      await t.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst(),
    ).toBeUndefined();

    const { token, subject, text } = await deliveredLink(t.db, mailer, smtp, email);
    expect(subject).toBe('Ada invited you to Harbour Media on Atrium');
    expect(text).toContain('http://127.0.0.1:5173/accept-invitation?token=');
    // Only the link's digest is stored.
    const stored = await t.db
      .selectFrom('invitations')
      .select('token_hash')
      .where('id', '=', invited.data.id)
      .executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(token);

    const preview = await call<{ orgName: string; email: string; addressHasAccount: boolean }>(
      api,
      'auth.invitation',
      {
        input: { token },
      },
    );
    expect(preview.data).toMatchObject({ orgName: 'Harbour Media', email, addressHasAccount: false });

    const weak = await call(api, 'auth.acceptInvitation', { input: { token, password: 'short' } });
    expect(weak.status).toBe(400);
    const accepted = await call<LoginData>(api, 'auth.acceptInvitation', {
      input: { token, password: 'ivys-own-passphrase-77' },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.data.user).toMatchObject({ email, roles: ['editor'], mustChangePassword: false });
    expect(accepted.refreshCookie).toMatch(/^atrium_rt=/);
    expect(accepted.deviceCookie).toBeTruthy();
    const user = await t.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    expect(user.email_verified_at).not.toBeNull();
    expect(user.password_hash).toMatch(/^\$argon2id\$/);

    // The link works once.
    expect(
      (await call(api, 'auth.acceptInvitation', { input: { token, password: 'ivys-own-passphrase-77' } }))
        .status,
    ).toBe(400);
    const list = await call<{ items: Invitation[] }>(api, 'users.invitations.list', {
      token: adminToken,
      type: 'query',
    });
    expect(list.data.items.find((i) => i.id === invited.data.id)?.status).toBe('accepted');
    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id'])
      .where('action', 'in', ['user.invited', 'user.invitation_accepted'])
      .orderBy('seq')
      .execute();
    expect(audit).toEqual([
      { action: 'user.invited', actor_id: admin.id },
      { action: 'user.invitation_accepted', actor_id: user.id },
    ]);
    // A welcome note confirms the membership to the address.
    const welcome = await t.db
      .selectFrom('notifications')
      .select('recipient_user_id')
      .where('template_key', '=', 'welcome')
      .executeTakeFirstOrThrow();
    expect(welcome.recipient_user_id).toBe(user.id);
  });

  it('never blocks an address: its owner still signs up elsewhere, and the admin cannot tell', async () => {
    const email = uniqueEmail('owner');
    expect((await invite({ email })).status).toBe(200);
    const registered = await call(api, 'auth.register', {
      input: { orgName: 'Owner Co', email, password: 'owners-own-passphrase-1', name: 'Owner' },
    });
    expect(registered.status).toBe(200);

    // Another org invites the now-registered address and a fresh one: the same answer for both.
    const other = (await createTestOrg(t.db, { name: 'Other Org' })).id;
    const otherAdmin = await createTestUser(t.db, { orgId: other, roles: ['admin'], name: 'Olga' });
    const otherToken = (await login(api, otherAdmin)).accessToken;
    const existing = await invite({ email }, otherToken);
    const fresh = await invite({ email: uniqueEmail('fresh') }, otherToken);
    expect(existing.status).toBe(fresh.status);
    expect(Object.keys(existing.data).sort()).toEqual(Object.keys(fresh.data).sort());
    expect(existing.data.status).toBe('pending');

    // The address's owner is told, by email and on the link's page; accepting answers 409 to them.
    const { token, text } = await deliveredLink(t.db, mailer, smtp, email);
    expect(text).toContain('This address already has an Atrium account');
    const preview = await call<{ addressHasAccount: boolean }>(api, 'auth.invitation', { input: { token } });
    expect(preview.data.addressHasAccount).toBe(true);
    const refused = await call(api, 'auth.acceptInvitation', {
      input: { token, password: 'owners-own-passphrase-1' },
    });
    expect(refused.status).toBe(409);
  });

  it('one open invitation per address; resend makes a new link and kills the old; revoke kills it', async () => {
    const email = uniqueEmail('twice');
    const first = await invite({ email });
    expect((await invite({ email })).status).toBe(409);
    const oldLink = (await deliveredLink(t.db, mailer, smtp, email)).token;
    const resent = await call<Invitation>(api, 'users.invitations.resend', {
      token: adminToken,
      input: { id: first.data.id },
    });
    expect(resent.data.sendCount).toBe(2);
    const newLink = (await deliveredLink(t.db, mailer, smtp, email)).token;
    expect(newLink).not.toBe(oldLink);
    expect((await call(api, 'auth.invitation', { input: { token: oldLink } })).status).toBe(400);
    expect((await call(api, 'auth.invitation', { input: { token: newLink } })).status).toBe(200);

    const revoked = await call<Invitation>(api, 'users.invitations.revoke', {
      token: adminToken,
      input: { id: first.data.id },
    });
    expect(revoked.data.status).toBe('revoked');
    expect((await call(api, 'auth.invitation', { input: { token: newLink } })).status).toBe(400);
    expect(
      (await call(api, 'users.invitations.resend', { token: adminToken, input: { id: first.data.id } }))
        .status,
    ).toBe(409);
    // Another org's invitation is not found.
    const other = (await createTestOrg(t.db)).id;
    const otherAdmin = await createTestUser(t.db, { orgId: other, roles: ['admin'] });
    const otherToken = (await login(api, otherAdmin)).accessToken;
    expect(
      (await call(api, 'users.invitations.revoke', { token: otherToken, input: { id: first.data.id } }))
        .status,
    ).toBe(404);
  });

  it('refuses a member of the org (409), roles beyond the inviter (403) and unknown roles (400)', async () => {
    const member = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    expect((await invite({ email: member.email })).status).toBe(409);
    expect((await invite({ email: uniqueEmail(), roles: ['viewer', 'wizard'] })).status).toBe(400);
    const role = await t.db
      .insertInto('roles')
      .values({ org_id: orgId, name: 'recruiter', permissions: ['users.manage'] })
      .returning('id')
      .executeTakeFirstOrThrow();
    const recruiter = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    await t.db
      .insertInto('user_roles')
      .values({ org_id: orgId, user_id: recruiter.id, role_id: role.id })
      .execute();
    const recruiterToken = (await login(api, recruiter)).accessToken;
    const escalate = await invite({ email: uniqueEmail(), roles: ['admin'] }, recruiterToken);
    expect(escalate.status).toBe(403);
  });

  it('counts invitations against the org’s hourly email quota: past it 429, and nothing is written', async () => {
    const quotaApi = await startTestApi(t.url, { NOTIFICATIONS_EMAIL_QUOTA_PER_HOUR: '2' });
    try {
      const org = (await createTestOrg(t.db)).id;
      const lead = await createTestUser(t.db, { orgId: org, roles: ['admin'] });
      const token = (await login(quotaApi, lead)).accessToken;
      const ask = () =>
        call(quotaApi, 'users.invite', {
          token,
          input: { email: uniqueEmail('q'), name: 'Q', roles: ['viewer'] },
        });
      expect((await ask()).status).toBe(200);
      expect((await ask()).status).toBe(200);
      const third = await ask();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(3000);
      const rows = await t.db.selectFrom('invitations').select('id').where('org_id', '=', org).execute();
      expect(rows).toHaveLength(2);
    } finally {
      await quotaApi.close();
    }
  });
});
