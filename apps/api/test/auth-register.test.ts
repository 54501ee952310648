import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, TEST_PASSWORD, uniqueEmail } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, type LoginData, startTestApi } from './auth-helpers.ts';

interface RegisterData {
  userId: string;
  orgId: string;
  orgSlug: string;
  email: string;
  role: string;
  emailVerificationRequired: true;
}

describe('auth.register', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let openOrg: { id: string; slug: string };
  let closedOrg: { id: string; slug: string };

  beforeAll(async () => {
    api = await startTestApi(t.url);
    openOrg = await createTestOrg(t.db, { name: 'Open Org', settings: { allowSignup: true } });
    closedOrg = await createTestOrg(t.db, { name: 'Closed Org' });
  });
  afterAll(() => api.close());

  const roleNamesOf = async (userId: string) =>
    (
      await t.db
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .select('roles.name')
        .where('user_roles.user_id', '=', userId)
        .execute()
    ).map((r) => r.name);

  it('with orgName: creates the org (slug derived and made unique) with the user as its admin', async () => {
    const email = uniqueEmail('founder');
    const result = await call<RegisterData>(api, 'auth.register', {
      input: { orgName: 'Open Org', email, password: TEST_PASSWORD, name: 'Founder' },
    });
    expect(result.status).toBe(200);
    expect(result.data).toMatchObject({
      email,
      role: 'admin',
      orgSlug: 'open-org-2',
      emailVerificationRequired: true,
    });
    expect(await roleNamesOf(result.data.userId)).toEqual(['admin']);
    const org = await t.db
      .selectFrom('orgs')
      .selectAll()
      .where('id', '=', result.data.orgId)
      .executeTakeFirstOrThrow();
    expect(org).toMatchObject({ name: 'Open Org', slug: 'open-org-2' });
    const user = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', result.data.userId)
      .executeTakeFirstOrThrow();
    expect(user.email_verified_at).toBeNull();
    expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    // One transaction wrote the org, its roles, the user and both outbox events (no secret in them).
    const events = await t.db
      .selectFrom('outbox_events')
      .select(['type', 'payload'])
      .where('org_id', '=', result.data.orgId)
      .orderBy('seq')
      .execute();
    expect(events).toEqual([
      { type: 'OrgCreated', payload: { orgId: result.data.orgId, slug: 'open-org-2', name: 'Open Org' } },
      { type: 'EmailVerificationRequested', payload: { userId: result.data.userId } },
    ]);
    // Nothing to sign in with until the address is verified.
    const login = await call(api, 'auth.login', { input: { email, password: TEST_PASSWORD } });
    expect(login.code).toBe('EMAIL_NOT_VERIFIED');
  });

  it('audits the registration (and the org creation) under the new org', async () => {
    const email = uniqueEmail('audited');
    const { data } = await call<RegisterData>(api, 'auth.register', {
      input: { orgName: 'Audited Org', email, password: TEST_PASSWORD, name: 'A' },
    });
    const entries = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id', 'resource_type', 'resource_id'])
      .where('org_id', '=', data.orgId)
      .orderBy('seq')
      .execute();
    expect(entries).toEqual([
      { action: 'org.created', actor_id: data.userId, resource_type: 'org', resource_id: data.orgId },
      { action: 'user.registered', actor_id: data.userId, resource_type: 'user', resource_id: data.userId },
    ]);
  });

  it('with orgSlug: joins an org that allows sign-up with its default role (viewer)', async () => {
    const result = await call<RegisterData>(api, 'auth.register', {
      input: { orgSlug: openOrg.slug, email: uniqueEmail('joiner'), password: TEST_PASSWORD, name: 'Joiner' },
    });
    expect(result.status).toBe(200);
    expect(result.data).toMatchObject({ orgId: openOrg.id, orgSlug: openOrg.slug, role: 'viewer' });
    expect(await roleNamesOf(result.data.userId)).toEqual(['viewer']);
  });

  it("uses the org's defaultRole setting when it names one of its roles", async () => {
    const org = await createTestOrg(t.db, { settings: { allowSignup: true, defaultRole: 'creator' } });
    const result = await call<RegisterData>(api, 'auth.register', {
      input: { orgSlug: org.slug, email: uniqueEmail(), password: TEST_PASSWORD, name: 'C' },
    });
    expect(result.data.role).toBe('creator');
  });

  it('refuses an org that does not allow sign-up with 403, and an unknown slug with 404', async () => {
    const closed = await call(api, 'auth.register', {
      input: { orgSlug: closedOrg.slug, email: uniqueEmail(), password: TEST_PASSWORD, name: 'X' },
    });
    expect(closed.status).toBe(403);
    expect(closed.code).toBe('FORBIDDEN');
    const unknown = await call(api, 'auth.register', {
      input: { orgSlug: 'no-such-org', email: uniqueEmail(), password: TEST_PASSWORD, name: 'X' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.code).toBe('NOT_FOUND');
  });

  it('refuses a duplicate email (any case) with 409', async () => {
    const email = uniqueEmail('dup');
    expect(
      (
        await call(api, 'auth.register', {
          input: { orgSlug: openOrg.slug, email, password: TEST_PASSWORD, name: 'First' },
        })
      ).status,
    ).toBe(200);
    const again = await call(api, 'auth.register', {
      input: { orgName: 'Another', email: email.toUpperCase(), password: TEST_PASSWORD, name: 'Second' },
    });
    expect(again.status).toBe(409);
    expect(again.code).toBe('CONFLICT');
    // Nothing of the refused attempt remains (its org would have been created in the same transaction).
    expect(await t.db.selectFrom('orgs').select('id').where('name', '=', 'Another').execute()).toEqual([]);
  });

  it('refuses weak passwords with 400 and field errors on password', async () => {
    const email = uniqueEmail('weak');
    for (const [password, message] of [
      ['short', 'Use at least 12 characters'],
      ['qwertyuiop123', 'This password is too common; choose one that is harder to guess'],
      [`${email.split('@')[0]}-pass`, 'Do not use your email address in your password'],
    ] as const) {
      const result = await call(api, 'auth.register', {
        input: { orgSlug: openOrg.slug, email, password, name: 'W' },
      });
      expect(result.status).toBe(400);
      expect(result.code).toBe('VALIDATION_ERROR');
      expect(result.body.error?.json.data.fieldErrors?.password).toContain(message);
    }
    expect(await t.db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
  });

  it('wants exactly one of orgSlug and orgName, a valid email and a name', async () => {
    const both = await call(api, 'auth.register', {
      input: {
        orgSlug: openOrg.slug,
        orgName: 'X',
        email: uniqueEmail(),
        password: TEST_PASSWORD,
        name: 'B',
      },
    });
    expect(both.status).toBe(400);
    expect(both.body.error?.json.data.fieldErrors?.orgSlug).toBeDefined();
    const neither = await call(api, 'auth.register', {
      input: { email: uniqueEmail(), password: TEST_PASSWORD, name: 'N' },
    });
    expect(neither.status).toBe(400);
    const bad = await call(api, 'auth.register', {
      input: { orgSlug: openOrg.slug, email: 'not-an-email', password: TEST_PASSWORD, name: '' },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error?.json.data.fieldErrors ?? {}).sort()).toEqual(['email', 'name']);
  });

  it('a verified registrant signs in as the admin of the new org', async () => {
    const email = uniqueEmail('verified');
    const { data } = await call<RegisterData>(api, 'auth.register', {
      input: { orgName: 'Signed In Org', email, password: TEST_PASSWORD, name: 'V' },
    });
    await t.db
      .updateTable('users')
      .set({ email_verified_at: new Date() })
      .where('id', '=', data.userId)
      .execute();
    const login = await call<LoginData>(api, 'auth.login', { input: { email, password: TEST_PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.data.user.roles).toEqual(['admin']);
    expect(login.data.user.permissions).toContain('users.manage');
    expect(login.data.user.permissions).not.toContain('scheduler.manage');
  });
});

describe('auth.register rate limit', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  beforeAll(async () => {
    api = await startTestApi(t.url, { AUTH_REGISTER_IP_LIMIT: '2' });
  });
  afterAll(() => api.close());

  it('limits sign-ups per IP (each sends an email)', async () => {
    const ip = '198.51.100.7';
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const result = await call(api, 'auth.register', {
        input: { orgName: `Spam ${i}`, email: uniqueEmail('spam'), password: TEST_PASSWORD, name: 'S' },
        ip,
      });
      statuses.push(result.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});
