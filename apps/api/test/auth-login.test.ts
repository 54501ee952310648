import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, TEST_PASSWORD, uniqueEmail } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import {
  auditEntriesAbout,
  call,
  cookieValue,
  freshIp,
  type LoginData,
  startTestApi,
} from './auth-helpers.ts';

describe('auth.login', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    orgId = (await createTestOrg(t.db)).id;
  });
  afterAll(() => api.close());

  it('signs in: access token, user with roles and permissions, and an HttpOnly SameSite=Strict refresh cookie', async () => {
    const user = await createTestUser(t.db, { orgId, roles: ['viewer', 'creator'], name: 'Cora' });
    const result = await call<LoginData>(api, 'auth.login', {
      input: { email: user.email, password: TEST_PASSWORD },
    });
    expect(result.status).toBe(200);
    expect(result.data.accessToken.split('.')).toHaveLength(3);
    expect(result.data.user).toEqual({
      id: user.id,
      orgId,
      email: user.email,
      name: 'Cora',
      roles: ['creator', 'viewer'],
      permissions: ['content.write', 'datasets.read'],
      mustChangePassword: false,
    });
    const expiresIn = Date.parse(result.data.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    // The refresh token never appears in the body of a web sign-in.
    expect(JSON.stringify(result.body)).not.toContain(cookieValue(result.refreshCookie) ?? 'x');
    const cookie = result.refreshCookie ?? '';
    expect(cookie).toMatch(/^atrium_rt=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('Path=/trpc');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toMatch(/Expires=/);

    const row = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.last_login_at).not.toBeNull();
    // Only the SHA-256 of the refresh token is stored.
    const tokens = await t.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens[0]?.token_hash).not.toBe(cookieValue(result.refreshCookie));
  });

  it('audits every sign-in: a success as the user, a failure with its reason, both with the address', async () => {
    const user = await createTestUser(t.db, { orgId });
    const unverified = await createTestUser(t.db, { orgId, verified: false });
    const disabled = await createTestUser(t.db, { orgId, status: 'disabled' });
    const ip = freshIp();
    const signIn = (email: string, password: string) =>
      call(api, 'auth.login', { input: { email, password }, ip });

    expect((await signIn(user.email, 'not-the-password-at-all')).status).toBe(401);
    expect((await signIn(user.email, TEST_PASSWORD)).status).toBe(200);
    expect((await signIn(unverified.email, TEST_PASSWORD)).status).toBe(403);
    expect((await signIn(disabled.email, TEST_PASSWORD)).status).toBe(403);

    expect(await auditEntriesAbout(t.db, user.id)).toEqual([
      {
        action: 'auth.login.failed',
        actor_id: null,
        payload: expect.objectContaining({ reason: 'wrong_password', ip }),
      },
      { action: 'auth.login.succeeded', actor_id: user.id, payload: expect.objectContaining({ ip }) },
    ]);
    expect(await auditEntriesAbout(t.db, unverified.id)).toEqual([
      {
        action: 'auth.login.failed',
        actor_id: null,
        payload: expect.objectContaining({ reason: 'email_not_verified', ip }),
      },
    ]);
    expect(await auditEntriesAbout(t.db, disabled.id)).toEqual([
      {
        action: 'auth.login.failed',
        actor_id: null,
        payload: expect.objectContaining({ reason: 'disabled', ip }),
      },
    ]);
  });

  it('gives the access token the claims sub, org, roles and pv', async () => {
    const user = await createTestUser(t.db, { orgId, roles: ['editor'] });
    const { data } = await call<LoginData>(api, 'auth.login', {
      input: { email: user.email, password: TEST_PASSWORD },
    });
    const [, payload] = data.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: user.id, org: orgId, roles: ['editor'], pv: 1 });
    expect(claims.exp).toBe((claims.iat as number) + 900);
    expect(typeof claims.jti).toBe('string');
  });

  it('can hand the refresh token to non-browser clients in the body instead of a cookie', async () => {
    const user = await createTestUser(t.db, { orgId });
    const result = await call<LoginData & { refreshToken: string }>(api, 'auth.login', {
      input: { email: user.email, password: TEST_PASSWORD, refreshTokenIn: 'body' },
    });
    expect(result.status).toBe(200);
    expect(result.data.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.refreshCookie).toBeNull();
  });

  it('answers a wrong password and an unknown email with the same 401 Invalid credentials', async () => {
    const user = await createTestUser(t.db, { orgId });
    const wrong = await call(api, 'auth.login', {
      input: { email: user.email, password: 'not-the-password-1' },
    });
    const unknown = await call(api, 'auth.login', {
      input: { email: uniqueEmail('nobody'), password: 'not-the-password-1' },
    });
    for (const result of [wrong, unknown]) {
      expect(result.status).toBe(401);
      expect(result.code).toBe('UNAUTHENTICATED');
      expect(result.message).toBe('Invalid credentials');
      expect(result.refreshCookie).toBeNull();
    }
    const strip = (r: typeof wrong) => {
      const { requestId: _, ...rest } = r.body.error?.json.data ?? {};
      return { ...r.body.error?.json, data: rest };
    };
    expect(strip(unknown)).toEqual(strip(wrong));
  });

  it('takes as long for an unknown email as for a wrong password (an argon2 verification either way)', async () => {
    const rounds = 6;
    const users = await Promise.all(Array.from({ length: rounds }, () => createTestUser(t.db, { orgId })));
    const invited = await Promise.all(Array.from({ length: rounds }, () => createTestUser(t.db, { orgId })));
    await t.db
      .updateTable('users')
      .set({ password_hash: null })
      .where(
        'id',
        'in',
        invited.map((u) => u.id),
      )
      .execute();
    const time = async (input: { email: string; password: string }, status: number) => {
      const started = performance.now();
      const result = await call(api, 'auth.login', { input });
      expect(result.status).toBe(status);
      return performance.now() - started;
    };
    const samples = {
      wrong: [] as number[],
      unknown: [] as number[],
      noPassword: [] as number[],
      none: [] as number[],
    };
    for (let i = 0; i < rounds; i++) {
      const password = 'wrong-password-123';
      samples.wrong.push(await time({ email: users[i]?.email ?? '', password }, 401));
      samples.unknown.push(await time({ email: uniqueEmail('ghost'), password }, 401));
      samples.noPassword.push(await time({ email: invited[i]?.email ?? '', password }, 401));
      // Baseline without any hashing: input validation refuses it before the use case runs.
      samples.none.push(await time({ email: 'x', password: '' }, 400));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const none = median(samples.none);
    const wrong = median(samples.wrong) - none;
    const unknown = median(samples.unknown) - none;
    const noPassword = median(samples.noPassword) - none;
    // One argon2id verification (m=19456, t=2) costs ~10 ms here; a path that skipped it would sit at
    // the baseline.
    expect(wrong).toBeGreaterThan(4);
    expect(unknown).toBeGreaterThan(wrong * 0.5);
    expect(noPassword).toBeGreaterThan(wrong * 0.5);
    expect(Math.abs(unknown - wrong)).toBeLessThan(Math.max(8, wrong * 0.6));
  });

  it('refuses an unverified email with 403 EMAIL_NOT_VERIFIED — only with the right password', async () => {
    const user = await createTestUser(t.db, { orgId, verified: false });
    const right = await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } });
    expect(right.status).toBe(403);
    expect(right.code).toBe('EMAIL_NOT_VERIFIED');
    const wrong = await call(api, 'auth.login', {
      input: { email: user.email, password: 'wrong-password-123' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.message).toBe('Invalid credentials');
  });

  it('refuses a disabled account with 403 FORBIDDEN — only with the right password', async () => {
    const user = await createTestUser(t.db, { orgId });
    await t.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', user.id).execute();
    const right = await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } });
    expect(right.status).toBe(403);
    expect(right.code).toBe('FORBIDDEN');
    const wrong = await call(api, 'auth.login', {
      input: { email: user.email, password: 'wrong-password-123' },
    });
    expect(wrong.status).toBe(401);
  });

  it('rejects malformed input with 400 and changes nothing', async () => {
    const result = await call(api, 'auth.login', { input: { email: 'someone@example.test' } });
    expect(result.status).toBe(400);
    expect(result.code).toBe('VALIDATION_ERROR');
    expect(result.body.error?.json.data.fieldErrors?.password).toBeDefined();
  });

  it('limits attempts per IP: the sixth in a minute answers 429 RATE_LIMITED with Retry-After', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) {
      const result = await call(api, 'auth.login', {
        input: { email: uniqueEmail('spray'), password: 'wrong-password-123' },
        ip,
      });
      expect(result.status).toBe(401);
    }
    const limited = await call(api, 'auth.login', {
      input: { email: uniqueEmail('spray'), password: 'x' },
      ip,
    });
    expect(limited.status).toBe(429);
    expect(limited.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.error?.json.data.retryAfterSeconds).toBe(retryAfter);
  });

  it('limits attempts per account across IPs, counting successes too', async () => {
    const user = await createTestUser(t.db, { orgId });
    for (let i = 0; i < 5; i++) {
      const result = await call(api, 'auth.login', {
        input: { email: user.email, password: i === 0 ? TEST_PASSWORD : 'wrong-password-123' },
      });
      expect(result.status).toBe(i === 0 ? 200 : 401);
    }
    // The right password from a new address: still over the account's limit.
    const limited = await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } });
    expect(limited.status).toBe(429);
    expect(limited.code).toBe('RATE_LIMITED');
  });
});

describe('auth.login lockout (limits raised so ten failures fit in a minute)', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;

  beforeAll(async () => {
    api = await startTestApi(t.url, { AUTH_LOGIN_ACCOUNT_LIMIT: '100', AUTH_LOGIN_IP_LIMIT: '100' });
    orgId = (await createTestOrg(t.db)).id;
  });
  afterAll(() => api.close());

  it('locks the account for 15 minutes after 10 consecutive failures, even from varied IPs, without checking the password', async () => {
    const user = await createTestUser(t.db, { orgId });
    for (let i = 1; i <= 10; i++) {
      const result = await call(api, 'auth.login', {
        input: { email: user.email, password: `wrong-password-${i}` },
      });
      expect(result.status).toBe(401);
    }
    const row = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.locked_until?.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);

    // Locked: even the right password answers 429, with the remaining lock time.
    const locked = await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } });
    expect(locked.status).toBe(429);
    expect(locked.code).toBe('RATE_LIMITED');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    // Once the lock lapses, the right password works and the counters reset.
    await t.db
      .updateTable('users')
      .set({ locked_until: new Date(Date.now() - 1000) })
      .where('id', '=', user.id)
      .execute();
    const ok = await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } });
    expect(ok.status).toBe(200);
    const after = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(after.failed_login_count).toBe(0);
    expect(after.locked_until).toBeNull();
  });

  it('a success in between resets the consecutive-failure count', async () => {
    const user = await createTestUser(t.db, { orgId });
    for (let i = 0; i < 9; i++) {
      await call(api, 'auth.login', { input: { email: user.email, password: 'wrong-password-123' } });
    }
    expect(
      (await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } })).status,
    ).toBe(200);
    for (let i = 0; i < 9; i++) {
      await call(api, 'auth.login', { input: { email: user.email, password: 'wrong-password-123' } });
    }
    expect(
      (await call(api, 'auth.login', { input: { email: user.email, password: TEST_PASSWORD } })).status,
    ).toBe(200);
  });

  it('treats an unknown email the same way: the eleventh attempt is "locked" too', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 10; i++) {
      expect(
        (await call(api, 'auth.login', { input: { email, password: 'wrong-password-123' } })).status,
      ).toBe(401);
    }
    const locked = await call(api, 'auth.login', { input: { email, password: 'wrong-password-123' } });
    expect(locked.status).toBe(429);
    expect(locked.message).toBe('Too many failed sign-in attempts. Try again later');
  });
});
