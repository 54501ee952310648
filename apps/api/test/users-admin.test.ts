import { deliverWelcomeEmail } from '@atrium/domain/identity/consumers';
import { UserInvited } from '@atrium/domain/identity/events';
import type { Mailer } from '@atrium/domain/platform/mailer';
import { createSmtpMailer } from '@atrium/domain/platform/smtp-mailer';
import { useSmtpReceiver, useTestDatabase } from '@atrium/testkit';
import {
  createTestOrg,
  createTestUser,
  outboxEnvelope,
  type TestUser,
  uniqueEmail,
} from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, cookieValue, type LoginData, login, startTestApi } from './auth-helpers.ts';
import { dispatchQueued } from './notifications-helpers.ts';

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
  const smtp = useSmtpReceiver();
  let api: RunningApi;
  let mailer: Mailer;
  let orgId: string;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    mailer = createSmtpMailer({ url: smtp.url });
    orgId = (await createTestOrg(t.db, { name: 'Admin Org' })).id;
    admin = await createTestUser(t.db, { orgId, roles: ['admin'], name: 'Ada' });
    adminToken = (await login(api, admin)).accessToken;
  });
  afterAll(async () => {
    await mailer.close();
    await api.close();
  });

  const as = (token: string) => ({
    call: <T>(path: string, input?: unknown) => call<T>(api, path, { token, input }),
  });

  it('creates a user → welcome email with a temporary password → forced password change → full access', async () => {
    const email = uniqueEmail('invitee');
    const created = await as(adminToken).call<UserSummary>('users.create', {
      email,
      name: 'Ivy Invitee',
      roles: ['editor'],
    });
    expect(created.status).toBe(200);
    expect(created.data).toMatchObject({
      email,
      name: 'Ivy Invitee',
      status: 'active',
      roles: ['editor'],
      emailVerified: true,
      mustChangePassword: true,
    });
    const row = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', created.data.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id'])
      .where('resource_id', '=', created.data.id)
      .execute();
    expect(audit).toContainEqual({ action: 'user.created', actor_id: admin.id });

    // The worker's consumer makes the temporary password and mails it.
    const event = await outboxEnvelope(t.db, UserInvited, { aggregateId: created.data.id });
    const delivered = await deliverWelcomeEmail({ db: t.db, webBaseUrl: 'http://127.0.0.1:5173' }, event);
    expect(delivered.queued).toBe(true);
    // Queued as a sensitive notification; the notifications dispatcher sends it.
    const messageId = await dispatchQueued(t.db, mailer, delivered);
    const mail = await smtp.waitForMessage((m) => m.to.includes(email) && m.messageId === messageId);
    expect(mail.subject).toBe('Welcome to Admin Org on Atrium');
    const temporary = /temporary password: (\S+)/.exec(mail.text)?.[1] ?? '';
    expect(temporary).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(mail.text).toContain('http://127.0.0.1:5173/sign-in');
    const hashed = await t.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', created.data.id)
      .executeTakeFirstOrThrow();
    expect(hashed.password_hash).toMatch(/^\$argon2id\$/);
    expect(hashed.password_hash).not.toContain(temporary);

    const signIn = await call<LoginData>(api, 'auth.login', { input: { email, password: temporary } });
    expect(signIn.status).toBe(200);
    expect(signIn.data.user.mustChangePassword).toBe(true);
    const token = signIn.data.accessToken;

    // Until the password is changed, only users.me, auth.changePassword, auth.refresh and auth.logout work.
    const blocked = await as(token).call('users.updateMe', { name: 'New Name' });
    expect(blocked.status).toBe(403);
    expect(blocked.code).toBe('FORBIDDEN');
    expect(blocked.body.error?.json.data).toMatchObject({ details: { reason: 'PASSWORD_CHANGE_REQUIRED' } });
    const me = await as(token).call<{ mustChangePassword: boolean }>('users.me');
    expect(me.status).toBe(200);
    expect(me.data.mustChangePassword).toBe(true);
    const refreshed = await call<LoginData>(api, 'auth.refresh', {
      cookie: cookieValue(signIn.refreshCookie),
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.data.user.mustChangePassword).toBe(true);

    const changed = await as(refreshed.data.accessToken).call<LoginData>('auth.changePassword', {
      current: temporary,
      next: 'ivys-own-passphrase-77',
    });
    expect(changed.status).toBe(200);
    expect(changed.data.user.mustChangePassword).toBe(false);
    const free = await as(changed.data.accessToken).call<{ name: string }>('users.updateMe', { name: 'Ivy' });
    expect(free.status).toBe(200);
    expect(free.data.name).toBe('Ivy');
    // The welcome email is not sent twice, and a redelivery does not reset the chosen password.
    const again = await deliverWelcomeEmail(
      { db: t.db, webBaseUrl: 'http://127.0.0.1:5173', consumer: 'identity.welcome-email.second' },
      event,
    );
    expect(again).toEqual({ queued: false, reason: 'password already chosen' });
  });

  it('refuses a duplicate email with 409, an unknown role with 400, and no roles with 400', async () => {
    const duplicate = await as(adminToken).call('users.create', {
      email: admin.email,
      name: 'X',
      roles: ['viewer'],
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.code).toBe('CONFLICT');
    const unknownRole = await as(adminToken).call('users.create', {
      email: uniqueEmail(),
      name: 'X',
      roles: ['viewer', 'wizard'],
    });
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.body.error?.json.data.fieldErrors?.roles).toEqual([
      'No role named "wizard" in this organisation',
    ]);
    const noRoles = await as(adminToken).call('users.create', { email: uniqueEmail(), name: 'X', roles: [] });
    expect(noRoles.status).toBe(400);
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
