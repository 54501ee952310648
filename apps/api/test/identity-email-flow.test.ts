import { useSmtpReceiver, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, TEST_PASSWORD, uniqueEmail } from '@atrium/testkit/factories';
import { type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, startTestApi } from './auth-helpers.ts';

/**
 * Identity's emails through the real pipeline: HTTP request → transaction + outbox → relay → pg-boss
 * → worker consumer → SMTP. Nothing here calls a consumer by hand.
 */
describe('identity emails, sent by the worker over SMTP', () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let api: RunningApi;
  let worker: RunningWorker;
  let orgSlug: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    worker = await startWorker(
      testWorkerEnv(t.url, { SMTP_URL: smtp.url, WEB_BASE_URL: 'https://atrium.example.test' }),
    );
    orgSlug = (await createTestOrg(t.db, { settings: { allowSignup: true } })).slug;
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
  });

  it('sign-up mails a verification code that verifies the address, after which sign-in works', async () => {
    const email = uniqueEmail('flow');
    const registered = await call(api, 'auth.register', {
      input: { orgSlug, email, password: TEST_PASSWORD, name: 'Flo' },
    });
    expect(registered.status).toBe(200);

    const before = await call(api, 'auth.login', { input: { email, password: TEST_PASSWORD } });
    expect(before.status).toBe(403);
    expect(before.code).toBe('EMAIL_NOT_VERIFIED');

    const mail = await smtp.waitForMessage((m) => m.to.includes(email), 20_000);
    expect(mail.subject).toMatch(/verification code/);
    const code = /verification code is: (\d{6})/.exec(mail.text)?.[1];
    expect(code).toMatch(/^\d{6}$/);

    const verified = await call(api, 'auth.verifyEmail', { input: { email, code } });
    expect(verified.status).toBe(200);
    const login = await call<{ accessToken: string }>(api, 'auth.login', {
      input: { email, password: TEST_PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.data.accessToken).toBeTruthy();
    expect(smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
  });

  it('a password reset link arrives, works once, and the change is announced by a second email', async () => {
    const email = uniqueEmail('reset');
    await call(api, 'auth.register', { input: { orgSlug, email, password: TEST_PASSWORD, name: 'Rhea' } });
    const verification = await smtp.waitForMessage((m) => m.to.includes(email), 20_000);
    const code = /verification code is: (\d{6})/.exec(verification.text)?.[1];
    expect((await call(api, 'auth.verifyEmail', { input: { email, code } })).status).toBe(200);

    expect((await call(api, 'auth.requestPasswordReset', { input: { email } })).status).toBe(200);
    const resetMail = await smtp.waitForMessage(
      (m) => m.to.includes(email) && /reset/i.test(m.subject),
      20_000,
    );
    const link = /https:\/\/atrium\.example\.test\/reset-password\?token=[^\s"<]+/.exec(resetMail.text)?.[0];
    expect(link).toBeTruthy();
    const token = new URL(link ?? '').searchParams.get('token');

    const next = 'a-brand-new-passphrase-42';
    expect((await call(api, 'auth.resetPassword', { input: { token, password: next } })).status).toBe(200);
    expect((await call(api, 'auth.resetPassword', { input: { token, password: next } })).status).toBe(400);
    expect((await call(api, 'auth.login', { input: { email, password: next } })).status).toBe(200);

    const notice = await waitFor(
      () =>
        smtp.messages.find(
          (m) => m.to.includes(email) && m.messageId !== resetMail.messageId && m !== verification,
        ),
      { what: 'the password-changed notice' },
    );
    expect(notice.subject).toMatch(/password/i);
  });
});
