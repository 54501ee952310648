import { redisAvailable, testRedisUrl, useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, type TestUser } from '@atrium/testkit/factories';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, type LoginData, login, startTestApi } from './auth-helpers.ts';

const ADMIN_ONLY = [
  ['users.list', 'query', {}],
  ['users.invite', 'mutation', { email: 'x@example.test', name: 'X', roles: ['viewer'] }],
  ['roles.list', 'query', undefined],
  ['roles.create', 'mutation', { name: 'sneaky', permissions: [] }],
] as const;

/**
 * The permission ladder and the permission-version cache, with Redis (shared cache) and without it
 * (in-process: every request reads the database) — the behaviour must be the same.
 */
describe.each([
  ['Redis cache', true],
  ['no Redis (in-process)', false],
])('RBAC with %s', (_label, withRedis) => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    api = await startTestApi(t.url, withRedis ? {} : { REDIS_URL: undefined });
    orgId = (await createTestOrg(t.db)).id;
    admin = await createTestUser(t.db, { orgId, roles: ['admin'] });
    adminToken = (await login(api, admin)).accessToken;
  });
  afterAll(() => api.close());

  it.skipIf(withRedis && !redisAvailable())('runs against the intended adapter', async () => {
    const info = await call<{ details: { adapters: { redis: { kind: string } } } }>(api, 'system.info', {
      type: 'query',
    });
    expect(info.data.details.adapters.redis.kind).toBe(
      withRedis && redisAvailable() ? 'redis' : 'in-process',
    );
  });

  it.each(['viewer', 'creator', 'editor', 'manager', 'publisher'])(
    'a %s gets 403 FORBIDDEN from user and role administration',
    async (role) => {
      const user = await createTestUser(t.db, { orgId, roles: [role] });
      const token = (await login(api, user)).accessToken;
      for (const [path, type, input] of ADMIN_ONLY) {
        const result = await call(api, path, { token, type, input });
        expect(result.status, path).toBe(403);
        expect(result.code, path).toBe('FORBIDDEN');
        expect(result.message, path).toMatch(/^Missing permission (users|roles)\.manage$/);
      }
    },
  );

  it('an admin passes the same gates', async () => {
    for (const [path, type, input] of ADMIN_ONLY.filter(([, type]) => type === 'query')) {
      expect((await call(api, path, { token: adminToken, type, input })).status).toBe(200);
    }
  });

  it('a platform operator gets ops.* and scheduler.manage on top of their org roles — an org admin does not', async () => {
    const operator = await createTestUser(t.db, { orgId, roles: ['viewer'], platformRole: 'operator' });
    const session = await login(api, operator);
    expect(session.user.permissions).toEqual(['datasets.read', 'ops.manage', 'ops.read', 'scheduler.manage']);
    const me = await call<{ platformRole: string }>(api, 'users.me', { token: session.accessToken });
    expect(me.data.platformRole).toBe('operator');
    expect((await call(api, 'users.list', { token: session.accessToken })).status).toBe(403);
    const adminMe = await call<{ permissions: string[] }>(api, 'users.me', { token: adminToken });
    expect(adminMe.data.permissions).toContain('ops.manage');
    expect(adminMe.data.permissions).not.toContain('scheduler.manage');
  });

  it('a role change takes effect within one request: TOKEN_STALE → refresh → allowed; and back', async () => {
    const user = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    let session: LoginData & { refreshToken: string } = await login(api, user);
    expect((await call(api, 'users.list', { token: session.accessToken })).status).toBe(403);

    await call(api, 'users.setRoles', { token: adminToken, input: { userId: user.id, roles: ['admin'] } });
    expect((await call(api, 'users.list', { token: session.accessToken })).code).toBe('TOKEN_STALE');
    const up = await call<LoginData>(api, 'auth.refresh', { cookie: session.refreshToken });
    const upToken = up.data.accessToken;
    expect((await call(api, 'users.list', { token: upToken })).status).toBe(200);

    await call(api, 'users.setRoles', { token: adminToken, input: { userId: user.id, roles: ['viewer'] } });
    expect((await call(api, 'users.list', { token: upToken })).code).toBe('TOKEN_STALE');
    const refreshCookie = up.refreshCookie?.match(/^atrium_rt=([^;]*)/)?.[1] ?? '';
    const down = await call<LoginData>(api, 'auth.refresh', { cookie: refreshCookie });
    session = { ...down.data, refreshToken: '' };
    expect((await call(api, 'users.list', { token: session.accessToken })).status).toBe(403);
  });

  it('disabling a user kills their access token on the next request', async () => {
    const user = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const session = await login(api, user);
    expect((await call(api, 'users.me', { token: session.accessToken })).status).toBe(200);
    await call(api, 'users.disable', { token: adminToken, input: { id: user.id } });
    expect((await call(api, 'users.me', { token: session.accessToken })).status).toBe(401);
  });
});

describe.skipIf(!redisAvailable())('authorisation cache in Redis', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let redis: Redis;
  const prefix = `t:rbac:${Date.now().toString(36)}:`;

  beforeAll(async () => {
    api = await startTestApi(t.url, { REDIS_PREFIX: prefix });
    redis = new Redis(testRedisUrl() ?? '', { lazyConnect: true });
    await redis.connect();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await api.close();
  });

  it('holds {pv, status, roles, permissions, platformRole, orgId} under authz:{userId}, refreshed on change', async () => {
    const orgId = (await createTestOrg(t.db)).id;
    const admin = await createTestUser(t.db, { orgId, roles: ['admin'] });
    const user = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const adminToken = (await login(api, admin)).accessToken;
    const session = await login(api, user);
    await call(api, 'users.me', { token: session.accessToken });
    const cached = JSON.parse((await redis.get(`${prefix}authz:${user.id}`)) ?? 'null');
    expect(cached).toMatchObject({
      userId: user.id,
      orgId,
      pv: 1,
      status: 'active',
      roles: ['viewer'],
      permissions: ['datasets.read'],
      platformRole: null,
    });
    expect(await redis.ttl(`${prefix}authz:${user.id}`)).toBeGreaterThan(0);

    await call(api, 'users.setRoles', { token: adminToken, input: { userId: user.id, roles: ['editor'] } });
    const refreshed = JSON.parse((await redis.get(`${prefix}authz:${user.id}`)) ?? 'null');
    expect(refreshed).toMatchObject({ pv: 2, roles: ['editor'] });
  });

  it('a cache entry that missed a change (older pv than the token) is re-read from the database', async () => {
    const orgId = (await createTestOrg(t.db)).id;
    const user = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    await t.db.updateTable('users').set({ permission_version: 3 }).where('id', '=', user.id).execute();
    const session = await login(api, user);
    // Simulate a lost refresh: the cache still says pv 1.
    await redis.set(
      `${prefix}authz:${user.id}`,
      JSON.stringify({
        userId: user.id,
        orgId,
        status: 'active',
        pv: 1,
        roles: ['viewer'],
        permissions: ['datasets.read'],
        platformRole: null,
        mustChangePassword: false,
      }),
    );
    const me = await call(api, 'users.me', { token: session.accessToken });
    expect(me.status).toBe(200);
    expect(JSON.parse((await redis.get(`${prefix}authz:${user.id}`)) ?? 'null').pv).toBe(3);
  });
});
