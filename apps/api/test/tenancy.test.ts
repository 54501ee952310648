import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, type TestUser } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, login, startTestApi } from './auth-helpers.ts';

/**
 * Tenancy (SPEC §1): every query is scoped by the caller's org, and another org's row answers 404 —
 * exactly like a row that does not exist, so existence never leaks.
 */
describe('cross-org access answers 404, never 403', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let adminOfA: string;
  let userOfB: TestUser;
  let roleOfB: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    const a = (await createTestOrg(t.db, { name: 'Tenant A' })).id;
    const b = (await createTestOrg(t.db, { name: 'Tenant B' })).id;
    adminOfA = (await login(api, await createTestUser(t.db, { orgId: a, roles: ['admin'] }))).accessToken;
    userOfB = await createTestUser(t.db, { orgId: b, roles: ['viewer'], name: 'Bea of B' });
    roleOfB = (
      await t.db
        .insertInto('roles')
        .values({ org_id: b, name: 'b-only', permissions: ['datasets.read'] })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(() => api.close());

  const asA = (path: string, input: unknown) => call(api, path, { token: adminOfA, input });

  it.each([
    ['users.get', () => ({ id: userOfB.id })],
    ['users.disable', () => ({ id: userOfB.id })],
    ['users.enable', () => ({ id: userOfB.id })],
    ['users.setRoles', () => ({ userId: userOfB.id, roles: ['viewer'] })],
    ['roles.update', () => ({ id: roleOfB, name: 'stolen' })],
    ['roles.delete', () => ({ id: roleOfB })],
  ])("%s on another org's row → 404, same as a row that does not exist", async (path, input) => {
    const foreign = await asA(path, input());
    expect(foreign.status).toBe(404);
    expect(foreign.code).toBe('NOT_FOUND');
    const missingInput = JSON.parse(
      JSON.stringify(input())
        .replaceAll(userOfB.id, crypto.randomUUID())
        .replaceAll(roleOfB, crypto.randomUUID()),
    );
    const missing = await asA(path, missingInput);
    expect(missing.status).toBe(404);
    expect(foreign.message).toBe(missing.message);
  });

  it("leaves the other org's rows untouched", async () => {
    const user = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userOfB.id)
      .executeTakeFirstOrThrow();
    expect(user.status).toBe('active');
    const role = await t.db
      .selectFrom('roles')
      .selectAll()
      .where('id', '=', roleOfB)
      .executeTakeFirstOrThrow();
    expect(role.name).toBe('b-only');
    expect((await login(api, userOfB)).user.roles).toEqual(['viewer']);
  });

  it("lists only the caller's org, and cannot find another org's users by search", async () => {
    const list = await call<{ items: Array<{ id: string }> }>(api, 'users.list', {
      token: adminOfA,
      input: { q: 'Bea' },
    });
    expect(list.status).toBe(200);
    expect(list.data.items).toEqual([]);
    const all = await call<{ items: Array<{ id: string }> }>(api, 'users.list', {
      token: adminOfA,
      input: {},
    });
    expect(all.data.items.some((u) => u.id === userOfB.id)).toBe(false);
  });

  it("cannot assign another org's role: its name is unknown here (400)", async () => {
    const mine = await createTestUser(t.db, {
      orgId: (
        await t.db.selectFrom('orgs').select('id').where('name', '=', 'Tenant A').executeTakeFirstOrThrow()
      ).id,
    });
    const result = await asA('users.setRoles', { userId: mine.id, roles: ['b-only'] });
    expect(result.status).toBe(400);
  });

  it("roles.list shows only the caller's org roles", async () => {
    const roles = await call<Array<{ name: string }>>(api, 'roles.list', { token: adminOfA });
    expect(roles.data.map((r) => r.name)).not.toContain('b-only');
  });
});
