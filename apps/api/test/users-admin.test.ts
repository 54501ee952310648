import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, type TestUser, uniqueEmail } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, type LoginData, login, startTestApi } from './auth-helpers.ts';

interface UserSummary {
  id: string;
  email: string;
  name: string;
  status: 'active' | 'disabled';
  roles: string[];
  emailVerified: boolean;
  mustChangePassword: boolean;
}

describe('user administration (users.manage)', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    orgId = (await createTestOrg(t.db, { name: 'Admin Org' })).id;
    admin = await createTestUser(t.db, { orgId, roles: ['admin'], name: 'Ada' });
    adminToken = (await login(api, admin)).accessToken;
  });
  afterAll(() => api.close());

  const as = (token: string) => ({
    call: <T>(path: string, input?: unknown) => call<T>(api, path, { token, input }),
  });

  it('lists the org users newest first with keyset pagination and filters', async () => {
    const listOrg = (await createTestOrg(t.db, { name: 'List Org' })).id;
    const listAdmin = await createTestUser(t.db, { orgId: listOrg, roles: ['admin'], name: 'Lead' });
    const made: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await createTestUser(t.db, {
          orgId: listOrg,
          roles: i % 2 === 0 ? ['viewer'] : ['editor'],
          name: `Member ${i}`,
          email: uniqueEmail(`member${i}`),
        }),
      );
    }
    await t.db
      .updateTable('users')
      .set({ status: 'disabled' })
      .where('id', '=', made[4]?.id ?? '')
      .execute();
    const token = (await login(api, listAdmin)).accessToken;
    type Page = { items: UserSummary[]; nextCursor: string | null };

    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await as(token).call<Page>('users.list', { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      expect(page.data.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.items.map((u) => u.id));
      cursor = page.data.nextCursor;
    } while (cursor);
    expect(seen).toEqual(
      [...made]
        .reverse()
        .map((u) => u.id)
        .concat(listAdmin.id),
    );

    const editors = await as(token).call<Page>('users.list', { role: 'editor' });
    expect(editors.data.items.map((u) => u.name).sort()).toEqual(['Member 1', 'Member 3']);
    expect(editors.data.items[0]?.roles).toEqual(['editor']);
    const disabled = await as(token).call<Page>('users.list', { status: 'disabled' });
    expect(disabled.data.items.map((u) => u.id)).toEqual([made[4]?.id]);
    const byName = await as(token).call<Page>('users.list', { q: 'member 2' });
    expect(byName.data.items.map((u) => u.id)).toEqual([made[2]?.id]);
    const byEmail = await as(token).call<Page>('users.list', { q: made[3]?.email.slice(0, 12) });
    expect(byEmail.data.items.map((u) => u.id)).toEqual([made[3]?.id]);
    // LIKE wildcards in q are literal.
    expect((await as(token).call<Page>('users.list', { q: '%' })).data.items).toEqual([]);
    const badCursor = await as(token).call('users.list', { cursor: 'garbage' });
    expect(badCursor.status).toBe(400);
  });

  it('gets one user of the org', async () => {
    const member = await createTestUser(t.db, { orgId, roles: ['viewer'], name: 'Gemma' });
    const got = await as(adminToken).call<UserSummary>('users.get', { id: member.id });
    expect(got.status).toBe(200);
    expect(got.data).toMatchObject({ id: member.id, name: 'Gemma', roles: ['viewer'] });
    expect((await as(adminToken).call('users.get', { id: crypto.randomUUID() })).status).toBe(404);
    expect((await as(adminToken).call('users.get', { id: 'not-a-uuid' })).status).toBe(400);
  });

  it('disable ends every session at once; enable lets the user sign in again', async () => {
    const member = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const session = await login(api, member);
    expect((await as(session.accessToken).call('users.me')).status).toBe(200);

    const disabled = await as(adminToken).call<UserSummary>('users.disable', { id: member.id });
    expect(disabled.status).toBe(200);
    expect(disabled.data.status).toBe('disabled');
    const denied = await as(session.accessToken).call('users.me');
    expect(denied.status).toBe(401);
    expect(denied.code).toBe('UNAUTHENTICATED');
    expect((await call(api, 'auth.refresh', { cookie: session.refreshToken })).status).toBe(401);
    expect(
      (await call(api, 'auth.login', { input: { email: member.email, password: member.password } })).status,
    ).toBe(403);

    const enabled = await as(adminToken).call<UserSummary>('users.enable', { id: member.id });
    expect(enabled.data.status).toBe('active');
    // The old session stays dead; a new sign-in works.
    expect((await call(api, 'auth.refresh', { cookie: session.refreshToken })).status).toBe(401);
    expect((await login(api, member)).user.id).toBe(member.id);

    const actions = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id'])
      .where('resource_id', '=', member.id)
      .where('action', 'in', ['user.disabled', 'user.enabled'])
      .orderBy('seq')
      .execute();
    expect(actions).toEqual([
      { action: 'user.disabled', actor_id: admin.id },
      { action: 'user.enabled', actor_id: admin.id },
    ]);
  });

  it('refuses to disable yourself with 422', async () => {
    const result = await as(adminToken).call('users.disable', { id: admin.id });
    expect(result.status).toBe(422);
    expect(result.code).toBe('UNPROCESSABLE');
  });

  it('setRoles: the old token answers 401 TOKEN_STALE, auth.refresh brings the new roles, the call then succeeds', async () => {
    const member = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const session = await login(api, member);
    expect((await as(session.accessToken).call('users.list')).status).toBe(403);

    const set = await as(adminToken).call<UserSummary>('users.setRoles', {
      userId: member.id,
      roles: ['admin', 'viewer'],
    });
    expect(set.status).toBe(200);
    expect(set.data.roles).toEqual(['admin', 'viewer']);

    const stale = await as(session.accessToken).call('users.list');
    expect(stale.status).toBe(401);
    expect(stale.code).toBe('TOKEN_STALE');
    const refreshed = await call<LoginData>(api, 'auth.refresh', { cookie: session.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.data.user.roles).toEqual(['admin', 'viewer']);
    expect(refreshed.data.user.permissions).toContain('users.manage');
    expect((await as(refreshed.data.accessToken).call('users.list')).status).toBe(200);

    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'payload'])
      .where('resource_id', '=', member.id)
      .where('action', '=', 'user.roles_set')
      .executeTakeFirstOrThrow();
    expect(audit.payload).toEqual({ before: ['viewer'], after: ['admin', 'viewer'] });
  });

  it('setRoles refuses unknown role names with 400 and changes nothing', async () => {
    const member = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const result = await as(adminToken).call('users.setRoles', {
      userId: member.id,
      roles: ['editor', 'ghost'],
    });
    expect(result.status).toBe(400);
    expect((await as(adminToken).call<UserSummary>('users.get', { id: member.id })).data.roles).toEqual([
      'viewer',
    ]);
  });

  it('the last active admin cannot drop their own admin role (422); with a second admin they can', async () => {
    const soloOrg = (await createTestOrg(t.db)).id;
    const solo = await createTestUser(t.db, { orgId: soloOrg, roles: ['admin'] });
    const token = (await login(api, solo)).accessToken;
    const refused = await as(token).call('users.setRoles', { userId: solo.id, roles: ['viewer'] });
    expect(refused.status).toBe(422);
    expect(refused.message).toMatch(/at least one active admin/);

    const second = await createTestUser(t.db, { orgId: soloOrg, roles: ['admin'] });
    const allowed = await as(token).call<UserSummary>('users.setRoles', {
      userId: solo.id,
      roles: ['viewer'],
    });
    expect(allowed.status).toBe(200);
    // Now `second` is the only admin: not even a holder of users.manage can disable them.
    const role = await t.db
      .insertInto('roles')
      .values({ org_id: soloOrg, name: 'people-ops', permissions: ['users.manage'] })
      .returning('id')
      .executeTakeFirstOrThrow();
    const peopleOps = await createTestUser(t.db, { orgId: soloOrg, roles: ['viewer'] });
    await t.db
      .insertInto('user_roles')
      .values({ org_id: soloOrg, user_id: peopleOps.id, role_id: role.id })
      .execute();
    const peopleOpsToken = (await login(api, peopleOps)).accessToken;
    const lastOne = await as(peopleOpsToken).call('users.disable', { id: second.id });
    expect(lastOne.status).toBe(422);
    // …nor hand out admin, which they do not hold themselves.
    const escalate = await as(peopleOpsToken).call('users.setRoles', {
      userId: peopleOps.id,
      roles: ['admin'],
    });
    expect(escalate.status).toBe(403);
    expect(escalate.message).toMatch(/cannot grant permissions you do not have/);
  });

  it('setRoles takes away only roles whose permissions the caller holds: users.manage alone cannot demote an admin', async () => {
    const org = (await createTestOrg(t.db)).id;
    // Two admins, so the refusal below is about permissions, not about the last admin.
    await createTestUser(t.db, { orgId: org, roles: ['admin'] });
    const second = await createTestUser(t.db, { orgId: org, roles: ['admin'] });
    const role = await t.db
      .insertInto('roles')
      .values({ org_id: org, name: 'people-ops', permissions: ['users.manage'] })
      .returning('id')
      .executeTakeFirstOrThrow();
    const peopleOps = await createTestUser(t.db, { orgId: org, roles: ['viewer'] });
    await t.db
      .insertInto('user_roles')
      .values({ org_id: org, user_id: peopleOps.id, role_id: role.id })
      .execute();
    const token = (await login(api, peopleOps)).accessToken;
    const demote = await as(token).call('users.setRoles', { userId: second.id, roles: ['viewer'] });
    expect(demote.status).toBe(403);
    expect(demote.message).toMatch(/only give or take away roles whose permissions you hold/);
    expect((await as(token).call<UserSummary>('users.get', { id: second.id })).data.roles).toEqual(['admin']);
    // Roles within their own permissions they may still give and take.
    const member = await createTestUser(t.db, { orgId: org, roles: ['viewer', 'people-ops'] });
    const trimmed = await as(token).call<UserSummary>('users.setRoles', {
      userId: member.id,
      roles: ['viewer'],
    });
    expect(trimmed.status).toBe(200);
  });

  it('users.updateMe changes the name and is audited', async () => {
    const member = await createTestUser(t.db, { orgId, roles: ['viewer'], name: 'Old' });
    const token = (await login(api, member)).accessToken;
    const updated = await as(token).call<{ name: string }>('users.updateMe', { name: '  New Name  ' });
    expect(updated.status).toBe(200);
    expect(updated.data.name).toBe('New Name');
    expect((await as(token).call('users.updateMe', { name: '' })).status).toBe(400);
    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id'])
      .where('resource_id', '=', member.id)
      .where('action', '=', 'user.updated')
      .execute();
    expect(audit).toEqual([{ action: 'user.updated', actor_id: member.id }]);
  });

  it('users.me describes the caller, org and permissions included', async () => {
    const me = await as(adminToken).call<{
      id: string;
      org: { id: string; slug: string; name: string };
      roles: string[];
      permissions: string[];
      platformRole: null;
    }>('users.me');
    expect(me.status).toBe(200);
    expect(me.data).toMatchObject({ id: admin.id, org: { id: orgId, name: 'Admin Org' }, roles: ['admin'] });
    expect(me.data.permissions).toContain('roles.manage');
  });
});
