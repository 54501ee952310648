import { createAccessTokens } from '@atrium/domain/access/access-tokens';
import { sha256Hex } from '@atrium/domain/platform/tokens';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import {
  auditEntriesAbout,
  call,
  cookieValue,
  freshIp,
  type LoginData,
  login,
  startTestApi,
} from './auth-helpers.ts';

const JWT_SECRET = 'sessions-test-secret-0123456789-abcdefghij';

describe('sessions: refresh rotation, reuse detection, logout, access-token checks', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;

  beforeAll(async () => {
    api = await startTestApi(t.url, { JWT_SECRET });
    orgId = (await createTestOrg(t.db)).id;
  });
  afterAll(() => api.close());

  const me = (token: string) => call(api, 'users.me', { token });
  const refresh = (cookie: string | null) => call<LoginData>(api, 'auth.refresh', { cookie });
  const rowOf = (token: string) =>
    t.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', sha256Hex(token))
      .executeTakeFirstOrThrow();

  it('rotates on every refresh: new access token, new refresh cookie, the old row marked rotated', async () => {
    const user = await createTestUser(t.db, { orgId });
    const session = await login(api, user);
    const first = await refresh(session.refreshToken);
    expect(first.status).toBe(200);
    expect(first.data.user.id).toBe(user.id);
    expect(first.data.accessToken).not.toBe(session.accessToken);
    const next = cookieValue(first.refreshCookie);
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(next).not.toBe(session.refreshToken);
    expect((await me(first.data.accessToken)).status).toBe(200);

    const old = await rowOf(session.refreshToken);
    const successor = await rowOf(next ?? '');
    expect(old.rotated_at).not.toBeNull();
    expect(old.replaced_by).toBe(successor.id);
    expect(successor.family_id).toBe(old.family_id);
    expect(successor.revoked_at).toBeNull();
    expect(successor.expires_at.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600_000);

    // And again from the successor.
    const second = await refresh(next);
    expect(second.status).toBe(200);
  });

  it('audits each rotation in the user’s org: who, which family, from where', async () => {
    const user = await createTestUser(t.db, { orgId });
    const session = await login(api, user);
    const ip = freshIp();
    expect((await call(api, 'auth.refresh', { cookie: session.refreshToken, ip })).status).toBe(200);
    const { family_id: familyId } = await rowOf(session.refreshToken);
    expect(
      (await auditEntriesAbout(t.db, user.id)).map(({ action, actor_id, payload }) => [
        action,
        actor_id,
        payload,
      ]),
    ).toEqual([
      ['auth.login.succeeded', user.id, expect.anything()],
      ['auth.refresh_token.rotated', user.id, { familyId, ip }],
    ]);
  });

  it('presenting an already-rotated token revokes the whole family: the newest token stops working too', async () => {
    const user = await createTestUser(t.db, { orgId });
    const session = await login(api, user);
    const rotated = await refresh(session.refreshToken);
    const newest = cookieValue(rotated.refreshCookie);

    // The thief (or a replay) presents the old token.
    const reuse = await refresh(session.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.code).toBe('UNAUTHENTICATED');
    // The cookie of whoever presented it is cleared.
    expect(reuse.refreshCookie).toMatch(/^atrium_rt=;/);

    const legit = await refresh(newest);
    expect(legit.status).toBe(401);
    const family = await t.db
      .selectFrom('refresh_tokens')
      .select(['revoked_at'])
      .where('family_id', '=', (await rowOf(session.refreshToken)).family_id)
      .execute();
    expect(family.every((row) => row.revoked_at !== null)).toBe(true);

    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'resource_id'])
      .where('org_id', '=', orgId)
      .where('action', '=', 'auth.refresh_token.reused')
      .execute();
    expect(audit).toContainEqual({ action: 'auth.refresh_token.reused', resource_id: user.id });
  });

  it('other families (other devices) survive a reuse in one family', async () => {
    const user = await createTestUser(t.db, { orgId });
    const laptop = await login(api, user);
    const phone = await login(api, user);
    await refresh(laptop.refreshToken);
    expect((await refresh(laptop.refreshToken)).status).toBe(401);
    expect((await refresh(phone.refreshToken)).status).toBe(200);
  });

  it('never issues two valid successors for concurrent refreshes of one token', async () => {
    const user = await createTestUser(t.db, { orgId });
    const session = await login(api, user);
    const results = await Promise.all(Array.from({ length: 4 }, () => refresh(session.refreshToken)));
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    const familyId = (await rowOf(session.refreshToken)).family_id;
    const live = await t.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .where('rotated_at', 'is', null)
      .execute();
    expect(live.length).toBeLessThanOrEqual(1);
    // Every successor that was handed out is dead.
    for (const result of results) {
      const token = cookieValue(result.refreshCookie);
      if (token) expect((await refresh(token)).status).toBe(401);
    }
  });

  it('accepts the refresh token in the body for non-browser clients, and answers in kind', async () => {
    const user = await createTestUser(t.db, { orgId });
    const signIn = await call<LoginData & { refreshToken: string }>(api, 'auth.login', {
      input: { email: user.email, password: user.password, refreshTokenIn: 'body' },
    });
    const rotated = await call<LoginData & { refreshToken: string }>(api, 'auth.refresh', {
      input: { refreshToken: signIn.data.refreshToken },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.data.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.refreshCookie).toBeNull();
    const out = await call(api, 'auth.logout', { input: { refreshToken: rotated.data.refreshToken } });
    expect(out.status).toBe(200);
    expect(
      (await call(api, 'auth.refresh', { input: { refreshToken: rotated.data.refreshToken } })).status,
    ).toBe(401);
  });

  it('refuses a missing, unknown or expired refresh token with 401', async () => {
    expect((await refresh(null)).status).toBe(401);
    expect((await refresh('x'.repeat(43))).status).toBe(401);
    const user = await createTestUser(t.db, { orgId });
    const session = await login(api, user);
    await t.db
      .updateTable('refresh_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('token_hash', '=', sha256Hex(session.refreshToken))
      .execute();
    expect((await refresh(session.refreshToken)).status).toBe(401);
  });

  it('logout revokes the family and clears the cookie', async () => {
    const user = await createTestUser(t.db, { orgId });
    const session = await login(api, user);
    const rotated = await refresh(session.refreshToken);
    const current = cookieValue(rotated.refreshCookie);
    const out = await call(api, 'auth.logout', { cookie: current });
    expect(out.status).toBe(200);
    expect(out.data).toEqual({ signedOut: true });
    expect(out.refreshCookie).toMatch(/^atrium_rt=;.*Path=\/trpc.*Expires=Thu, 01 Jan 1970/);
    expect((await refresh(current)).status).toBe(401);
    // Logging out twice (or without a session) is fine.
    expect((await call(api, 'auth.logout', { cookie: current })).status).toBe(200);
    expect((await call(api, 'auth.logout', {})).status).toBe(200);
  });

  it('refuses access tokens: expired → TOKEN_EXPIRED, garbage or foreign → UNAUTHENTICATED, none → UNAUTHENTICATED', async () => {
    const user = await createTestUser(t.db, { orgId });
    const past = createAccessTokens({
      secret: JWT_SECRET,
      ttlSeconds: 900,
      clock: { now: () => new Date(Date.now() - 3600_000) },
    });
    const expired = await past.issue({ userId: user.id, orgId, roles: ['viewer'], pv: 1 });
    const expiredCall = await me(expired.accessToken);
    expect(expiredCall.status).toBe(401);
    expect(expiredCall.code).toBe('TOKEN_EXPIRED');

    const foreign = createAccessTokens({ secret: `${JWT_SECRET}-other`, ttlSeconds: 900 });
    const forged = await foreign.issue({ userId: user.id, orgId, roles: ['admin'], pv: 1 });
    expect((await me(forged.accessToken)).code).toBe('UNAUTHENTICATED');
    expect((await me('garbage')).code).toBe('UNAUTHENTICATED');
    const anonymous = await call(api, 'users.me', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.code).toBe('UNAUTHENTICATED');
  });

  it("refuses a token whose org is not the user's org", async () => {
    const user = await createTestUser(t.db, { orgId });
    const other = await createTestOrg(t.db);
    const tokens = createAccessTokens({ secret: JWT_SECRET, ttlSeconds: 900 });
    const wrongOrg = await tokens.issue({ userId: user.id, orgId: other.id, roles: ['admin'], pv: 1 });
    const result = await me(wrongOrg.accessToken);
    expect(result.status).toBe(401);
    expect(result.code).toBe('UNAUTHENTICATED');
  });

  it('takes roles and permissions from the current state, never from the token', async () => {
    const user = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const tokens = createAccessTokens({ secret: JWT_SECRET, ttlSeconds: 900 });
    const claimsAdmin = await tokens.issue({ userId: user.id, orgId, roles: ['admin'], pv: 1 });
    const result = await call<{ roles: string[]; permissions: string[] }>(api, 'users.me', {
      token: claimsAdmin.accessToken,
    });
    expect(result.data.roles).toEqual(['viewer']);
    expect((await call(api, 'users.list', { token: claimsAdmin.accessToken })).status).toBe(403);
  });
});
