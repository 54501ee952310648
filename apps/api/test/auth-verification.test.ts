import { deliverVerificationCode, type IdentityMailDeps } from '@atrium/domain/identity/consumers';
import { EmailVerificationRequested } from '@atrium/domain/identity/events';
import { MailDeliveryError, type Mailer } from '@atrium/domain/platform/mailer';
import { createSmtpMailer } from '@atrium/domain/platform/smtp-mailer';
import { useSmtpReceiver, useTestDatabase } from '@atrium/testkit';
import { createTestOrg, outboxEnvelope, TEST_PASSWORD, uniqueEmail } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { auditEntriesAbout, call, freshIp, outboxCount, startTestApi } from './auth-helpers.ts';
import { dispatchQueued } from './notifications-helpers.ts';

describe('email verification', () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let api: RunningApi;
  let mailer: Mailer;
  let orgSlug: string;
  let deps: IdentityMailDeps;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    mailer = createSmtpMailer({ url: smtp.url });
    orgSlug = (await createTestOrg(t.db, { settings: { allowSignup: true } })).slug;
    deps = { db: t.db, webBaseUrl: 'http://127.0.0.1:5173' };
  });
  afterAll(async () => {
    await mailer.close();
    await api.close();
  });

  async function register(): Promise<{ userId: string; email: string }> {
    const email = uniqueEmail('verify');
    const result = await call<{ userId: string }>(api, 'auth.register', {
      input: { orgSlug, email, password: TEST_PASSWORD, name: 'Vera' },
    });
    expect(result.status).toBe(200);
    return { userId: result.data.userId, email };
  }

  /**
   * What the worker does for the latest EmailVerificationRequested of the user (identity's consumer,
   * then notifications.dispatch); returns the mailed code.
   */
  async function deliverCode(userId: string, email: string): Promise<string> {
    const event = await outboxEnvelope(t.db, EmailVerificationRequested, { aggregateId: userId });
    const result = await deliverVerificationCode(deps, event);
    expect(result.queued).toBe(true);
    // The consumer queues the email; the notifications dispatcher sends it.
    const messageId = await dispatchQueued(t.db, mailer, result);
    const mail = await smtp.waitForMessage((m) => m.to.includes(email) && m.messageId === messageId);
    const code = /verification code is: (\d{6})/.exec(mail.text)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    return code ?? '';
  }

  const verify = (email: string, code: string) => call(api, 'auth.verifyEmail', { input: { email, code } });

  it('the consumer mails a 6-digit code, stores only its hash, and the code verifies the address', async () => {
    const { userId, email } = await register();
    const code = await deliverCode(userId, email);

    const rows = await t.db
      .selectFrom('email_verification_codes')
      .selectAll()
      .where('user_id', '=', userId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(code);
    const expiresIn = (rows[0]?.expires_at.getTime() ?? 0) - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    const outbox = await t.db
      .selectFrom('outbox_events')
      .select('payload')
      .where('aggregate_id', '=', userId)
      .execute();
    expect(JSON.stringify(outbox)).not.toContain(code);

    const ok = await verify(email, code);
    expect(ok.status).toBe(200);
    expect(ok.data).toEqual({ verified: true });
    const user = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(user.email_verified_at).not.toBeNull();
    expect((await call(api, 'auth.login', { input: { email, password: TEST_PASSWORD } })).status).toBe(200);

    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id'])
      .where('resource_id', '=', userId)
      .where('action', '=', 'auth.email.verified')
      .execute();
    expect(audit).toEqual([{ action: 'auth.email.verified', actor_id: userId }]);

    // A used code does not work twice.
    expect((await verify(email, code)).status).toBe(400);
  });

  it('a redelivered event sends nothing twice (inbox)', async () => {
    const { userId, email } = await register();
    await deliverCode(userId, email);
    const event = await outboxEnvelope(t.db, EmailVerificationRequested, { aggregateId: userId });
    const before = smtp.messages.length;
    const again = await deliverVerificationCode(deps, event);
    expect(again).toEqual({ queued: false, reason: 'already processed' });
    expect(smtp.messages.length).toBe(before);
  });

  it('a wrong code answers 400 VALIDATION_ERROR and counts an attempt; an unknown email answers the same', async () => {
    const { userId, email } = await register();
    const code = await deliverCode(userId, email);
    const wrongCode = code === '000000' ? '111111' : '000000';
    const wrong = await verify(email, wrongCode);
    expect(wrong.status).toBe(400);
    expect(wrong.code).toBe('VALIDATION_ERROR');
    expect(wrong.body.error?.json.data.fieldErrors?.code).toEqual(['That code is not correct']);
    const row = await t.db
      .selectFrom('email_verification_codes')
      .select('attempts')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(1);

    const unknown = await verify(uniqueEmail('nobody'), wrongCode);
    expect(unknown.status).toBe(400);
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.body.error?.json.data.fieldErrors).toEqual(wrong.body.error?.json.data.fieldErrors);

    // The right code still works after one miss.
    expect((await verify(email, code)).status).toBe(200);
  });

  it('an expired code answers 400 saying it expired', async () => {
    const { userId, email } = await register();
    const code = await deliverCode(userId, email);
    await t.db
      .updateTable('email_verification_codes')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('user_id', '=', userId)
      .execute();
    const expired = await verify(email, code);
    expect(expired.status).toBe(400);
    expect(expired.message).toMatch(/expired/);
  });

  it('five wrong tries kill the code; a resent code works', async () => {
    const { userId, email } = await register();
    const code = await deliverCode(userId, email);
    const wrongCode = code === '999999' ? '888888' : '999999';
    const messages = [];
    for (let i = 0; i < 5; i++) messages.push((await verify(email, wrongCode)).message);
    expect(messages.slice(0, 4).every((m) => m === 'That code is not correct')).toBe(true);
    expect(messages[4]).toMatch(/tried too many times/);
    const dead = await verify(email, code);
    expect(dead.status).toBe(400);
    expect(dead.message).toMatch(/tried too many times/);

    expect((await call(api, 'auth.resendVerification', { input: { email } })).status).toBe(200);
    const fresh = await deliverCode(userId, email);
    expect((await verify(email, fresh)).status).toBe(200);
  });

  it('a new code retires the older one', async () => {
    const { userId, email } = await register();
    const first = await deliverCode(userId, email);
    await call(api, 'auth.resendVerification', { input: { email } });
    const second = await deliverCode(userId, email);
    if (first !== second) expect((await verify(email, first)).status).toBe(400);
    expect((await verify(email, second)).status).toBe(200);
  });

  it('resend always answers 200, writes the event again, and is limited to one a minute (429 + Retry-After)', async () => {
    const { userId, email } = await register();
    expect(await outboxCount(t.db, 'EmailVerificationRequested', userId)).toBe(1);
    const first = await call(api, 'auth.resendVerification', { input: { email } });
    expect(first.status).toBe(200);
    expect(first.data).toEqual({ accepted: true });
    expect(await outboxCount(t.db, 'EmailVerificationRequested', userId)).toBe(2);

    const second = await call(api, 'auth.resendVerification', { input: { email } });
    expect(second.status).toBe(429);
    expect(second.code).toBe('RATE_LIMITED');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(await outboxCount(t.db, 'EmailVerificationRequested', userId)).toBe(2);
  });

  it('audits a resend that asks for a new code, with the address it came from; other resends audit nothing', async () => {
    const { userId, email } = await register();
    const ip = freshIp();
    expect((await call(api, 'auth.resendVerification', { input: { email }, ip })).status).toBe(200);
    const resends = (await auditEntriesAbout(t.db, userId)).filter(
      (entry) => entry.action === 'auth.email_verification.requested',
    );
    expect(resends).toEqual([
      { action: 'auth.email_verification.requested', actor_id: null, payload: { ip } },
    ]);

    const before = await t.db.selectFrom('audit_entries').select('seq').execute();
    expect(
      (await call(api, 'auth.resendVerification', { input: { email: uniqueEmail('ghost') } })).status,
    ).toBe(200);
    expect(await t.db.selectFrom('audit_entries').select('seq').execute()).toHaveLength(before.length);
  });

  it('resend for an unknown address looks exactly like resend for a real one', async () => {
    const email = uniqueEmail('ghost');
    const first = await call(api, 'auth.resendVerification', { input: { email } });
    expect(first.status).toBe(200);
    expect(first.data).toEqual({ accepted: true });
    expect((await call(api, 'auth.resendVerification', { input: { email } })).status).toBe(429);
  });

  it('resend for an already verified address writes no event', async () => {
    const { userId, email } = await register();
    await t.db.updateTable('users').set({ email_verified_at: new Date() }).where('id', '=', userId).execute();
    expect((await call(api, 'auth.resendVerification', { input: { email } })).status).toBe(200);
    expect(await outboxCount(t.db, 'EmailVerificationRequested', userId)).toBe(1);
  });

  it('a failed send keeps the code and its notification: the retry mails the same code, which verifies', async () => {
    const { userId, email } = await register();
    const event = await outboxEnvelope(t.db, EmailVerificationRequested, { aggregateId: userId });
    const queued = await deliverVerificationCode(deps, event);
    expect(queued.queued).toBe(true);
    await smtp.setFailure('reject-transient');
    await expect(dispatchQueued(t.db, mailer, queued)).rejects.toBeInstanceOf(MailDeliveryError);
    expect(
      await t.db.selectFrom('email_verification_codes').select('id').where('user_id', '=', userId).execute(),
    ).toHaveLength(1);
    // The code is in the queued notification only encrypted: not in any plaintext column.
    const row = await t.db
      .selectFrom('notifications')
      .select(['sensitive', 'subject', 'body', 'variables', 'template_key'])
      .where('id', '=', queued.queued ? queued.notificationId : '')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      sensitive: true,
      subject: null,
      body: null,
      variables: null,
      template_key: 'verify-email',
    });

    await smtp.setFailure('none');
    const messageId = await dispatchQueued(t.db, mailer, queued);
    const mail = await smtp.waitForMessage((m) => m.messageId === messageId);
    const code = /verification code is: (\d{6})/.exec(mail.text)?.[1] ?? '';
    expect((await verify(email, code)).status).toBe(200);
  });
});
