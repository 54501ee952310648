import {
  deliverPasswordChangedNotice,
  deliverPasswordResetLink,
  type IdentityMailDeps,
} from '@atrium/domain/identity/consumers';
import { PasswordChanged, PasswordResetRequested } from '@atrium/domain/identity/events';
import type { Mailer } from '@atrium/domain/platform/mailer';
import { createSmtpMailer } from '@atrium/domain/platform/smtp-mailer';
import { sha256Hex } from '@atrium/domain/platform/tokens';
import { useSmtpReceiver, useTestDatabase } from '@atrium/testkit';
import {
  createTestOrg,
  createTestUser,
  outboxEnvelope,
  TEST_PASSWORD,
  uniqueEmail,
} from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, cookieValue, type LoginData, login, startTestApi } from './auth-helpers.ts';
import { dispatchQueued } from './notifications-helpers.ts';

const NEW_PASSWORD = 'a-brand-new-passphrase-42';
const WEB = 'http://127.0.0.1:5173';

describe('passwords: change and reset', () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let api: RunningApi;
  let mailer: Mailer;
  let orgId: string;
  let deps: IdentityMailDeps;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    mailer = createSmtpMailer({ url: smtp.url });
    orgId = (await createTestOrg(t.db)).id;
    deps = { db: t.db, webBaseUrl: WEB };
  });
  afterAll(async () => {
    await mailer.close();
    await api.close();
  });

  const liveRefreshTokens = async (userId: string) =>
    (
      await t.db
        .selectFrom('refresh_tokens')
        .select('id')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('rotated_at', 'is', null)
        .execute()
    ).length;

  describe('auth.changePassword', () => {
    it('wrong current password → 400 on `current`; weak or unchanged new password → 400 on `next`', async () => {
      const user = await createTestUser(t.db, { orgId });
      const session = await login(api, user);
      const wrong = await call(api, 'auth.changePassword', {
        token: session.accessToken,
        input: { current: 'not-my-password-1', next: NEW_PASSWORD },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error?.json.data.fieldErrors?.current).toEqual([
        'Your current password is not correct',
      ]);
      const weak = await call(api, 'auth.changePassword', {
        token: session.accessToken,
        input: { current: TEST_PASSWORD, next: 'password1234' },
      });
      expect(weak.status).toBe(400);
      expect(weak.body.error?.json.data.fieldErrors?.next).toBeDefined();
      const same = await call(api, 'auth.changePassword', {
        token: session.accessToken,
        input: { current: TEST_PASSWORD, next: TEST_PASSWORD },
      });
      expect(same.status).toBe(400);
      expect(same.body.error?.json.data.fieldErrors?.next).toEqual([
        'Choose a password different from the current one',
      ]);
      // Nothing changed: the old password still signs in.
      expect(
        (await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } })).status,
      ).toBe(200);
    });

    it('needs a signed-in caller', async () => {
      const result = await call(api, 'auth.changePassword', {
        input: { current: TEST_PASSWORD, next: NEW_PASSWORD },
      });
      expect(result.status).toBe(401);
    });

    it('changes it, signs out every other session, keeps this one with a fresh pair, and mails a notice', async () => {
      const user = await createTestUser(t.db, { orgId, name: 'Pat' });
      const laptop = await login(api, user);
      const phone = await login(api, user);
      const changed = await call<LoginData>(api, 'auth.changePassword', {
        token: laptop.accessToken,
        input: { current: TEST_PASSWORD, next: NEW_PASSWORD },
      });
      expect(changed.status).toBe(200);
      expect(changed.data.user.mustChangePassword).toBe(false);
      const fresh = cookieValue(changed.refreshCookie);
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // Other devices' refresh tokens are dead; the fresh one works.
      expect((await call(api, 'auth.refresh', { cookie: phone.refreshToken })).status).toBe(401);
      expect((await call(api, 'auth.refresh', { cookie: laptop.refreshToken })).status).toBe(401);
      expect((await call(api, 'auth.refresh', { cookie: fresh })).status).toBe(200);
      expect(await liveRefreshTokens(user.id)).toBe(1);
      // Access tokens are not bumped: the current one keeps working until it expires.
      expect((await call(api, 'users.me', { token: laptop.accessToken })).status).toBe(200);

      expect(
        (await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } })).status,
      ).toBe(401);
      expect(
        (await call(api, 'auth.login', { input: { email: user.email, password: NEW_PASSWORD } })).status,
      ).toBe(200);

      const event = await outboxEnvelope(t.db, PasswordChanged, { aggregateId: user.id });
      expect(event.payload).toEqual({ userId: user.id, via: 'change' });
      const delivered = await deliverPasswordChangedNotice(deps, event);
      expect(delivered.queued).toBe(true);
      const messageId = await dispatchQueued(t.db, mailer, delivered);
      const mail = await smtp.waitForMessage((m) => m.to.includes(user.email) && m.messageId === messageId);
      expect(mail.subject).toBe('Your Atrium password was changed');
      expect(mail.text).toContain('Hello Pat');
      expect(mail.text).toContain(`${WEB}/forgot-password`);
      expect(mail.text).not.toContain(NEW_PASSWORD);

      const audit = await t.db
        .selectFrom('audit_entries')
        .select(['action', 'actor_id'])
        .where('resource_id', '=', user.id)
        .where('action', '=', 'auth.password.changed')
        .execute();
      expect(audit).toEqual([{ action: 'auth.password.changed', actor_id: user.id }]);
    });
  });

  describe('password reset', () => {
    /** The newest reset request's event, as the relay would hand it to the consumer. */
    const latestResetEvent = () => outboxEnvelope(t.db, PasswordResetRequested);
    const resetEvents = async () =>
      (
        await t.db
          .selectFrom('outbox_events')
          .select('id')
          .where('type', '=', 'PasswordResetRequested')
          .execute()
      ).length;

    async function requestLink(email: string): Promise<string> {
      const requested = await call(api, 'auth.requestPasswordReset', { input: { email } });
      expect(requested.status).toBe(200);
      const event = await latestResetEvent();
      const delivered = await deliverPasswordResetLink(deps, event);
      expect(delivered.queued).toBe(true);
      const messageId = await dispatchQueued(t.db, mailer, delivered);
      const mail = await smtp.waitForMessage((m) => m.messageId === messageId);
      const link = /(http:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
      expect(link).toBeDefined();
      return new URL(link ?? '').searchParams.get('token') ?? '';
    }

    it('always answers 200 after the same work; only the consumer finds out whether the account exists', async () => {
      const before = await resetEvents();
      const ghost = await call(api, 'auth.requestPasswordReset', { input: { email: uniqueEmail('ghost') } });
      expect(ghost.status).toBe(200);
      expect(ghost.data).toEqual({ accepted: true });
      const ghostEvent = await latestResetEvent();
      // The address travels sealed, never in clear.
      expect(JSON.stringify(ghostEvent.payload)).not.toContain('ghost');
      expect(await deliverPasswordResetLink(deps, ghostEvent)).toEqual({
        queued: false,
        reason: 'no account',
      });

      const disabled = await createTestUser(t.db, { orgId });
      await t.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();
      const refused = await call(api, 'auth.requestPasswordReset', { input: { email: disabled.email } });
      expect(refused.data).toEqual(ghost.data);
      const disabledEvent = await latestResetEvent();
      expect(await deliverPasswordResetLink(deps, disabledEvent)).toEqual({
        queued: false,
        reason: 'account disabled',
      });

      const user = await createTestUser(t.db, { orgId });
      expect((await call(api, 'auth.requestPasswordReset', { input: { email: user.email } })).status).toBe(
        200,
      );
      expect(await resetEvents()).toBe(before + 3);
    });

    it('takes as long for an unknown address as for a known one (medians within a tolerance)', async () => {
      const known = await Promise.all(Array.from({ length: 25 }, () => createTestUser(t.db, { orgId })));
      const timings = { known: [] as number[], unknown: [] as number[] };
      const timeOne = async (email: string) => {
        const started = performance.now();
        const result = await call(api, 'auth.requestPasswordReset', { input: { email } });
        expect(result.status).toBe(200);
        return performance.now() - started;
      };
      // Warm both paths, then interleave so drift on a busy machine hits both alike.
      await timeOne(uniqueEmail('warm'));
      await timeOne(known[0]?.email ?? '');
      for (const user of known.slice(1)) {
        timings.known.push(await timeOne(user.email));
        timings.unknown.push(await timeOne(uniqueEmail('nobody')));
      }
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      const [k, u] = [median(timings.known), median(timings.unknown)];
      console.log(`password reset request: median ${k.toFixed(2)} ms known, ${u.toFixed(2)} ms unknown`);
      expect(Math.abs(k - u)).toBeLessThan(Math.max(1.5, 0.2 * Math.max(k, u)));
    });

    it('quietly drops requests over the per-address limit (3 an hour)', async () => {
      const user = await createTestUser(t.db, { orgId });
      const before = await resetEvents();
      for (let i = 0; i < 5; i++) {
        expect((await call(api, 'auth.requestPasswordReset', { input: { email: user.email } })).status).toBe(
          200,
        );
      }
      expect(await resetEvents()).toBe(before + 3);
    });

    it('the mailed link resets the password once, signs out every session and reopens sign-in from new devices', async () => {
      const user = await createTestUser(t.db, { orgId });
      const session = await login(api, user);
      // A stranger's guesses have closed the account to new devices.
      for (let i = 0; i < 10; i++) {
        await call(api, 'auth.login', { input: { email: user.email, password: 'wrong-password-123' } });
      }
      expect(
        (await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } })).status,
      ).toBe(429);
      const token = await requestLink(user.email);

      // Only the digest is stored, for 30 minutes.
      const row = await t.db
        .selectFrom('password_reset_tokens')
        .selectAll()
        .where('user_id', '=', user.id)
        .executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(sha256Hex(token));
      expect(row.expires_at.getTime() - Date.now()).toBeGreaterThan(29 * 60_000);

      const weak = await call(api, 'auth.resetPassword', { input: { token, password: 'short' } });
      expect(weak.status).toBe(400);
      expect(weak.body.error?.json.data.fieldErrors?.password).toBeDefined();

      const reset = await call(api, 'auth.resetPassword', { input: { token, password: NEW_PASSWORD } });
      expect(reset.status).toBe(200);
      expect(reset.data).toEqual({ reset: true });
      expect(await liveRefreshTokens(user.id)).toBe(0);
      expect((await call(api, 'auth.refresh', { cookie: session.refreshToken })).status).toBe(401);
      expect(
        (await call(api, 'auth.login', { input: { email: user.email, password: NEW_PASSWORD } })).status,
      ).toBe(200);

      const again = await call(api, 'auth.resetPassword', {
        input: { token, password: 'another-good-passphrase' },
      });
      expect(again.status).toBe(400);
      expect(again.code).toBe('VALIDATION_ERROR');

      const changed = await outboxEnvelope(t.db, PasswordChanged, { aggregateId: user.id });
      expect(changed.payload).toEqual({ userId: user.id, via: 'reset' });
      const audit = await t.db
        .selectFrom('audit_entries')
        .select('action')
        .where('resource_id', '=', user.id)
        .where('action', 'in', ['auth.password_reset.requested', 'auth.password_reset.completed'])
        .orderBy('seq')
        .execute();
      expect(audit.map((a) => a.action)).toEqual([
        'auth.password_reset.requested',
        'auth.password_reset.completed',
      ]);
    });

    it('refuses an expired or unknown token with 400, and a newer link retires the older one', async () => {
      const user = await createTestUser(t.db, { orgId });
      const first = await requestLink(user.email);
      const second = await requestLink(user.email);
      expect(
        (await call(api, 'auth.resetPassword', { input: { token: first, password: NEW_PASSWORD } })).status,
      ).toBe(400);
      await t.db
        .updateTable('password_reset_tokens')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('token_hash', '=', sha256Hex(second))
        .execute();
      const expired = await call(api, 'auth.resetPassword', {
        input: { token: second, password: NEW_PASSWORD },
      });
      expect(expired.status).toBe(400);
      expect(expired.message).toMatch(/invalid or has expired/);
      const unknown = await call(api, 'auth.resetPassword', {
        input: { token: 'x'.repeat(43), password: NEW_PASSWORD },
      });
      expect(unknown.status).toBe(400);
      expect(unknown.message).toBe(expired.message);
      expect(
        (await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } })).status,
      ).toBe(200);
    });

    it('two concurrent uses of one link: exactly one wins', async () => {
      const user = await createTestUser(t.db, { orgId });
      const token = await requestLink(user.email);
      const results = await Promise.all([
        call(api, 'auth.resetPassword', { input: { token, password: 'first-racer-passphrase' } }),
        call(api, 'auth.resetPassword', { input: { token, password: 'second-racer-passphrase' } }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    });
  });
});
