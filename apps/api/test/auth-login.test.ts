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
});

/**
 * Sign-in limits (SPEC §1, OWASP device cookies): failures only, per (account, device) or in the
 * account's untrusted bucket, and per source address. Limits are lowered where a test needs to reach
 * them quickly; the defaults are 10 per 15 minutes and 100 per hour.
 */
describe('auth.login limits count failures only, by device', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;

  beforeAll(async () => {
    api = await startTestApi(t.url, { AUTH_SIGNIN_IP_FAILURES: '5' });
    orgId = (await createTestOrg(t.db)).id;
  });
  afterAll(() => api.close());

  const wrong = (email: string, options: { ip?: string; device?: string | null } = {}) =>
    call(api, 'auth.login', { input: { email, password: 'wrong-password-123' }, ...options });
  const right = (email: string, options: { ip?: string; device?: string | null } = {}) =>
    call(api, 'auth.login', { input: { email, password: TEST_PASSWORD }, ...options });

  it('a success never counts: a whole office signs in from one address', async () => {
    const office = freshIp();
    for (let i = 0; i < 12; i++) {
      const colleague = await createTestUser(t.db, { orgId });
      expect((await right(colleague.email, { ip: office })).status, `colleague ${i + 1}`).toBe(200);
    }
  });

  it('sets a signed, HttpOnly, SameSite=Strict device cookie for a year on success', async () => {
    const user = await createTestUser(t.db, { orgId });
    const result = await right(user.email);
    expect(result.deviceCookie).toMatch(/^d1\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    const header = result.headers.getSetCookie().find((c) => c.startsWith('atrium_device=')) ?? '';
    expect(header).toContain('HttpOnly');
    expect(header).toContain('SameSite=Strict');
    expect(header).toContain('Path=/trpc');
    expect(Number(/Max-Age=(\d+)/.exec(header)?.[1])).toBeGreaterThan(364 * 24 * 3600);
  });

  it('failures per address: the sixth from one address answers 429 with Retry-After, others go on', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect((await wrong(uniqueEmail('spray'), { ip })).status).toBe(401);
    const limited = await wrong(uniqueEmail('spray'), { ip });
    expect(limited.status).toBe(429);
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.message).toBe('Too many failed sign-ins from your network. Try again later');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(limited.body.error?.json.data.retryAfterSeconds).toBe(retryAfter);
    expect((await wrong(uniqueEmail('spray'))).status).toBe(401);
  });
});

describe('auth.login: nobody can lock out a user on a device they signed in from', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    orgId = (await createTestOrg(t.db)).id;
  });
  afterAll(() => api.close());

  const attempt = (email: string, password: string, device?: string | null) =>
    call(api, 'auth.login', { input: { email, password }, device: device ?? null });

  it('ten wrong guesses from elsewhere close only the untrusted bucket; the real user on a known device signs in', async () => {
    const user = await createTestUser(t.db, { orgId });
    const device = (await attempt(user.email, TEST_PASSWORD)).deviceCookie;
    expect(device).toBeTruthy();
    for (let i = 1; i <= 10; i++) {
      expect((await attempt(user.email, `wrong-password-${i}`)).status, `guess ${i}`).toBe(401);
    }
    const attacker = await attempt(user.email, 'wrong-password-11');
    expect(attacker.status).toBe(429);
    expect(attacker.message).toBe(
      'Too many failed sign-ins for this account. Try again later, or reset your password',
    );
    expect(Number(attacker.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    // Without the cookie even the right password waits (a new device is a stranger)…
    expect((await attempt(user.email, TEST_PASSWORD)).status).toBe(429);
    // …with it, the owner signs in as if nothing happened.
    expect((await attempt(user.email, TEST_PASSWORD, device)).status).toBe(200);
  });

  it('ten failures on a known device close that device only', async () => {
    const user = await createTestUser(t.db, { orgId });
    const laptop = (await attempt(user.email, TEST_PASSWORD)).deviceCookie;
    const phone = (await attempt(user.email, TEST_PASSWORD)).deviceCookie;
    for (let i = 0; i < 10; i++)
      expect((await attempt(user.email, 'wrong-password-123', laptop)).status).toBe(401);
    expect((await attempt(user.email, TEST_PASSWORD, laptop)).status).toBe(429);
    expect((await attempt(user.email, TEST_PASSWORD, phone)).status).toBe(200);
    expect((await attempt(user.email, TEST_PASSWORD)).status).toBe(200);
  });

  it('a device cookie of another account counts as a stranger', async () => {
    const owner = await createTestUser(t.db, { orgId });
    const victim = await createTestUser(t.db, { orgId });
    const ownersDevice = (await attempt(owner.email, TEST_PASSWORD)).deviceCookie;
    for (let i = 0; i < 10; i++)
      expect((await attempt(victim.email, 'wrong-password-123', ownersDevice)).status).toBe(401);
    expect((await attempt(victim.email, 'wrong-password-123')).status).toBe(429);
    // And a forged token is no better than none.
    const forged = `d1.${'A'.repeat(22)}.${Math.floor(Date.now() / 1000)}.${'B'.repeat(43)}`;
    expect((await attempt(victim.email, 'wrong-password-123', forged)).status).toBe(429);
  });

  it('parallel guesses cannot slip past the limit: exactly ten of thirty are checked', async () => {
    const user = await createTestUser(t.db, { orgId });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => attempt(user.email, `wrong-password-${i}`)),
    );
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20);
  });

  it('treats an unknown email the same way: the eleventh failure answers the same 429', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 10; i++) expect((await attempt(email, 'wrong-password-123')).status).toBe(401);
    const limited = await attempt(email, 'wrong-password-123');
    expect(limited.status).toBe(429);
    expect(limited.message).toBe(
      'Too many failed sign-ins for this account. Try again later, or reset your password',
    );
  });

  it('audits each failure with the device it came from', async () => {
    const user = await createTestUser(t.db, { orgId });
    const device = (await attempt(user.email, TEST_PASSWORD)).deviceCookie;
    await attempt(user.email, 'wrong-password-123', device);
    await attempt(user.email, 'wrong-password-123');
    const entries = await t.db
      .selectFrom('audit_entries')
      .select('payload')
      .where('action', '=', 'auth.login.failed')
      .where('resource_id', '=', user.id)
      .orderBy('seq')
      .execute();
    expect(entries.map((e) => (e.payload as { device: string }).device)).toEqual(['known', 'unknown']);
  });
});
