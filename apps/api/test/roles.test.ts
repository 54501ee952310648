import { ORG_PERMISSIONS } from '@atrium/domain/access/roles';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, type LoginData, login, startTestApi } from './auth-helpers.ts';

interface RoleSummary {
  id: string;
  name: string;
  permissions: string[];
  isBuiltIn: boolean;
  userCount: number;
}

describe('roles (roles.manage)', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;
  let adminId: string;
  let token: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    orgId = (await createTestOrg(t.db)).id;
    const admin = await createTestUser(t.db, { orgId, roles: ['admin'] });
    adminId = admin.id;
    token = (await login(api, admin)).accessToken;
  });
  afterAll(() => api.close());

  const rpc = <T>(path: string, input?: unknown, as = token) => call<T>(api, path, { token: as, input });

  it('lists the built-in roles first, in their fixed order, with their permissions and holder counts', async () => {
    const roles = await rpc<RoleSummary[]>('roles.list');
    expect(roles.status).toBe(200);
    expect(roles.data.map((r) => r.name)).toEqual([
      'admin',
      'manager',
      'editor',
      'creator',
      'publisher',
      'viewer',
    ]);
    expect(roles.data.every((r) => r.isBuiltIn)).toBe(true);
    expect(roles.data.find((r) => r.name === 'admin')?.userCount).toBe(1);
    expect(roles.data.find((r) => r.name === 'viewer')?.permissions).toEqual(['datasets.read']);
    const permissions = await rpc<string[]>('roles.permissions');
    expect(permissions.data).toEqual([...ORG_PERMISSIONS]);
  });

  it('creates, renames, re-permissions and deletes a custom role, auditing each step', async () => {
    const created = await rpc<RoleSummary>('roles.create', {
      name: 'reviewer',
      permissions: ['content.review', 'datasets.read', 'content.review'],
    });
    expect(created.status).toBe(200);
    expect(created.data).toMatchObject({
      name: 'reviewer',
      permissions: ['content.review', 'datasets.read'],
      isBuiltIn: false,
      userCount: 0,
    });
    const updated = await rpc<RoleSummary>('roles.update', {
      id: created.data.id,
      name: 'senior-reviewer',
      permissions: ['content.review', 'content.publish'],
    });
    expect(updated.status).toBe(200);
    expect(updated.data).toMatchObject({
      name: 'senior-reviewer',
      permissions: ['content.publish', 'content.review'],
    });
    const listed = await rpc<RoleSummary[]>('roles.list');
    expect(listed.data.at(-1)?.name).toBe('senior-reviewer');
    const deleted = await rpc('roles.delete', { id: created.data.id });
    expect(deleted.status).toBe(200);
    expect((await rpc<RoleSummary[]>('roles.list')).data.some((r) => r.id === created.data.id)).toBe(false);

    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id'])
      .where('resource_id', '=', created.data.id)
      .orderBy('seq')
      .execute();
    expect(audit).toEqual([
      { action: 'role.created', actor_id: adminId },
      { action: 'role.updated', actor_id: adminId },
      { action: 'role.deleted', actor_id: adminId },
    ]);
  });

  it('names are unique per org (409), built-in names included', async () => {
    await rpc('roles.create', { name: 'dupe', permissions: [] });
    expect((await rpc('roles.create', { name: 'dupe', permissions: [] })).status).toBe(409);
    expect((await rpc('roles.create', { name: 'editor', permissions: [] })).status).toBe(409);
    const other = await rpc<RoleSummary>('roles.create', { name: 'other', permissions: [] });
    expect((await rpc('roles.update', { id: other.data.id, name: 'dupe' })).status).toBe(409);
    // Another org may use the same name.
    const otherOrg = (await createTestOrg(t.db)).id;
    const otherAdmin = await createTestUser(t.db, { orgId: otherOrg, roles: ['admin'] });
    const otherToken = (await login(api, otherAdmin)).accessToken;
    expect((await rpc('roles.create', { name: 'dupe', permissions: [] }, otherToken)).status).toBe(200);
  });

  it('validates names and permissions with 400', async () => {
    const unknown = await rpc('roles.create', {
      name: 'bad-perms',
      permissions: ['content.write', 'root.everything'],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.json.data.fieldErrors?.permissions).toEqual([
      'Unknown permission "root.everything"',
    ]);
    const platform = await rpc('roles.create', {
      name: 'scheduler-admins',
      permissions: ['scheduler.manage'],
    });
    expect(platform.status).toBe(400);
    expect(platform.body.error?.json.data.fieldErrors?.permissions?.[0]).toMatch(/platform permission/);
    const badName = await rpc('roles.create', { name: 'Bad Name!', permissions: [] });
    expect(badName.status).toBe(400);
    expect(badName.body.error?.json.data.fieldErrors?.name).toBeDefined();
  });

  it('built-in roles cannot be changed or deleted (422)', async () => {
    const roles = await rpc<RoleSummary[]>('roles.list');
    const viewer = roles.data.find((r) => r.name === 'viewer');
    const change = await rpc('roles.update', { id: viewer?.id, permissions: ['users.manage'] });
    expect(change.status).toBe(422);
    expect((await rpc('roles.delete', { id: viewer?.id })).status).toBe(422);
  });

  it('a role in use cannot be deleted (409) until nobody holds it', async () => {
    const role = await rpc<RoleSummary>('roles.create', { name: 'in-use', permissions: ['datasets.read'] });
    const holder = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    await rpc('users.setRoles', { userId: holder.id, roles: ['viewer', 'in-use'] });
    const refused = await rpc('roles.delete', { id: role.data.id });
    expect(refused.status).toBe(409);
    expect(refused.message).toMatch(/assigned to 1 user/);
    await rpc('users.setRoles', { userId: holder.id, roles: ['viewer'] });
    expect((await rpc('roles.delete', { id: role.data.id })).status).toBe(200);
  });

  it("changing a role's permissions makes its holders' tokens stale; the refreshed token carries the change", async () => {
    const role = await rpc<RoleSummary>('roles.create', { name: 'people', permissions: ['datasets.read'] });
    const holder = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    await rpc('users.setRoles', { userId: holder.id, roles: ['people'] });
    const bystander = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const holderSession = await login(api, holder);
    const bystanderSession = await login(api, bystander);
    expect((await rpc('users.list', {}, holderSession.accessToken)).status).toBe(403);

    const updated = await rpc<RoleSummary>('roles.update', {
      id: role.data.id,
      permissions: ['datasets.read', 'users.manage'],
    });
    expect(updated.data.userCount).toBe(1);

    expect((await rpc('users.list', {}, holderSession.accessToken)).code).toBe('TOKEN_STALE');
    // Users without the role are untouched.
    expect((await rpc('users.me', undefined, bystanderSession.accessToken)).status).toBe(200);
    const refreshed = await call<LoginData>(api, 'auth.refresh', { cookie: holderSession.refreshToken });
    expect(refreshed.data.user.permissions).toContain('users.manage');
    expect((await rpc('users.list', {}, refreshed.data.accessToken)).status).toBe(200);
  });

  it('an actor cannot put permissions they lack into a role (403)', async () => {
    const role = await t.db
      .insertInto('roles')
      .values({ org_id: orgId, name: 'role-admins', permissions: ['roles.manage'] })
      .returning('id')
      .executeTakeFirstOrThrow();
    const roleAdmin = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    await t.db
      .insertInto('user_roles')
      .values({ org_id: orgId, user_id: roleAdmin.id, role_id: role.id })
      .execute();
    const limited = (await login(api, roleAdmin)).accessToken;
    expect(
      (await rpc('roles.create', { name: 'readers', permissions: ['datasets.read'] }, limited)).status,
    ).toBe(200);
    const escalate = await rpc(
      'roles.create',
      { name: 'superusers', permissions: ['users.manage'] },
      limited,
    );
    expect(escalate.status).toBe(403);
    expect(escalate.code).toBe('FORBIDDEN');
  });
});
