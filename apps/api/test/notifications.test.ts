import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, login, startTestApi } from './auth-helpers.ts';

interface NotificationBody {
  id: string;
  status: string;
  channel: string;
  to: { userId: string | null; email: string | null; name: string | null };
  subject: string | null;
  body: string | null;
  redacted: boolean;
  attempts: unknown[];
}

/** notifications.* over HTTP: permission, tenancy, validation and the template admin. */
describe('notifications procedures', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let adminToken: string;
  let viewerToken: string;
  let otherAdminToken: string;
  let orgId: string;
  let memberId: string;
  let memberEmail: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    orgId = (await createTestOrg(t.db, { name: 'Notify HTTP' })).id;
    const otherOrg = (await createTestOrg(t.db, { name: 'Other HTTP' })).id;
    const admin = await createTestUser(t.db, { orgId, roles: ['admin'] });
    const viewer = await createTestUser(t.db, { orgId, roles: ['viewer'], name: 'Rosa Reader' });
    const otherAdmin = await createTestUser(t.db, { orgId: otherOrg, roles: ['admin'] });
    memberId = viewer.id;
    memberEmail = viewer.email;
    adminToken = (await login(api, admin)).accessToken;
    viewerToken = (await login(api, viewer)).accessToken;
    otherAdminToken = (await login(api, otherAdmin)).accessToken;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('send needs notifications.send: 401 without a token, 403 without the permission', async () => {
    const input = { channel: 'in_app', to: { userId: memberId }, subject: 'Hi', body: 'There' };
    const anonymous = await call(api, 'notifications.send', { input });
    expect(anonymous.status).toBe(401);
    const viewer = await call(api, 'notifications.send', { input, token: viewerToken });
    expect(viewer.status).toBe(403);
    expect(viewer.code).toBe('FORBIDDEN');
    const list = await call(api, 'notifications.list', { token: viewerToken });
    expect(list.status).toBe(403);
    const templates = await call(api, 'notifications.templates.list', { token: viewerToken, type: 'query' });
    expect(templates.status).toBe(403);
    expect(await t.db.selectFrom('notifications').select('id').execute()).toEqual([]);
  });

  it('send, list, get (with attempts), cancel; bad input is a 400 that changes nothing', async () => {
    const sent = await call<NotificationBody>(api, 'notifications.send', {
      token: adminToken,
      input: {
        channel: 'email',
        to: { email: memberEmail.toUpperCase() },
        templateKey: 'incident-opened',
        variables: { title: 'Sensors <down>', severity: 'high', url: 'https://atrium.example/i/1' },
        scheduleAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(sent.status).toBe(200);
    expect(sent.data).toMatchObject({
      status: 'scheduled',
      channel: 'email',
      // A member's address is that member.
      to: { userId: memberId, email: memberEmail, name: 'Rosa Reader' },
      subject: '[high] Incident opened: Sensors <down>',
      redacted: false,
      attempts: [],
    });

    const listed = await call<{ items: NotificationBody[] }>(api, 'notifications.list', {
      token: adminToken,
      input: { recipient: memberEmail.toUpperCase() },
    });
    expect(listed.data.items.map((n) => n.id)).toEqual([sent.data.id]);
    const got = await call<NotificationBody>(api, 'notifications.get', {
      token: adminToken,
      input: { id: sent.data.id },
    });
    expect(got.data.body).toContain('Sensors <down>');

    const cancelled = await call<NotificationBody>(api, 'notifications.cancel', {
      token: adminToken,
      input: { id: sent.data.id },
    });
    expect(cancelled.data.status).toBe('cancelled');
    const again = await call(api, 'notifications.cancel', { token: adminToken, input: { id: sent.data.id } });
    expect(again.status).toBe(409);
    expect(again.code).toBe('CONFLICT');

    const before = await t.db.selectFrom('notifications').select('id').execute();
    const missingVariable = await call(api, 'notifications.send', {
      token: adminToken,
      input: {
        channel: 'email',
        to: { userId: memberId },
        templateKey: 'incident-opened',
        variables: {},
      },
    });
    expect(missingVariable.status).toBe(400);
    expect(missingVariable.body.error?.json.data.fieldErrors).toHaveProperty('variables.title');
    const badAddress = await call(api, 'notifications.send', {
      token: adminToken,
      input: { channel: 'email', to: { email: 'not-an-address' }, subject: 's', body: 'b' },
    });
    expect(badAddress.status).toBe(400);
    const inAppToAddress = await call(api, 'notifications.send', {
      token: adminToken,
      input: { channel: 'in_app', to: { email: 'x@example.test' }, subject: 's', body: 'b' },
    });
    expect(inAppToAddress.status).toBe(400);
    expect(await t.db.selectFrom('notifications').select('id').execute()).toHaveLength(before.length);
  });

  it('another org’s notification, user and template are 404', async () => {
    const sent = await call<NotificationBody>(api, 'notifications.send', {
      token: adminToken,
      input: { channel: 'in_app', to: { userId: memberId }, subject: 'Ours', body: 'Only ours' },
    });
    expect(sent.status).toBe(200);
    // Admins see whom it is for by name, in the list and in the detail.
    const ours = await call<{ items: NotificationBody[] }>(api, 'notifications.list', {
      token: adminToken,
      input: { userId: memberId },
    });
    expect(ours.data.items.map((n) => n.to)).toContainEqual({
      userId: memberId,
      email: null,
      name: 'Rosa Reader',
    });
    const detail = await call<NotificationBody>(api, 'notifications.get', {
      token: adminToken,
      input: { id: sent.data.id },
    });
    expect(detail.data.to).toMatchObject({ userId: memberId, name: 'Rosa Reader' });
    for (const path of ['notifications.get', 'notifications.cancel']) {
      const response = await call(api, path, { token: otherAdminToken, input: { id: sent.data.id } });
      expect(response.status).toBe(404);
      expect(response.code).toBe('NOT_FOUND');
    }
    const theirList = await call<{ items: unknown[] }>(api, 'notifications.list', { token: otherAdminToken });
    expect(theirList.data.items).toEqual([]);
    const toOurUser = await call(api, 'notifications.send', {
      token: otherAdminToken,
      input: { channel: 'in_app', to: { userId: memberId }, subject: 'x', body: 'y' },
    });
    expect(toOurUser.status).toBe(404);

    const template = await call<{ id: string }>(api, 'notifications.templates.upsert', {
      token: adminToken,
      input: { key: 'shift-change', channel: 'email', subject: 'Shift {{day}}', body: 'See you {{day}}' },
    });
    expect(template.status).toBe(200);
    const theirs = await call(api, 'notifications.templates.get', {
      token: otherAdminToken,
      input: { id: template.data.id },
    });
    expect(theirs.status).toBe(404);
    const theirDelete = await call(api, 'notifications.templates.delete', {
      token: otherAdminToken,
      input: { id: template.data.id },
    });
    expect(theirDelete.status).toBe(404);
  });

  it('templates: globals are read-only, overrides validated, and sensitive notifications redacted for admins', async () => {
    const list = await call<Array<{ id: string; key: string; scope: string; channel: string }>>(
      api,
      'notifications.templates.list',
      { token: adminToken, type: 'query', input: { key: 'password-reset' } },
    );
    const global = list.data.find((row) => row.scope === 'global');
    expect(global).toBeDefined();
    const remove = await call(api, 'notifications.templates.delete', {
      token: adminToken,
      input: { id: global?.id },
    });
    expect(remove.status).toBe(422);
    const unknownVariable = await call(api, 'notifications.templates.upsert', {
      token: adminToken,
      input: { key: 'password-reset', channel: 'email', subject: 'Reset', body: '{{resetUrl}} {{password}}' },
    });
    expect(unknownVariable.status).toBe(400);

    const secret = await call<NotificationBody>(api, 'notifications.send', {
      token: adminToken,
      input: {
        channel: 'email',
        to: { userId: memberId },
        templateKey: 'incident-opened',
        variables: { title: 'Door code SECRET-TOKEN', severity: 'low', url: 'https://atrium.example/i/2' },
        sensitive: true,
      },
    });
    expect(secret.status).toBe(200);
    expect(secret.data).toMatchObject({ redacted: true, subject: null, body: null });
    const got = await call(api, 'notifications.get', { token: adminToken, input: { id: secret.data.id } });
    expect(JSON.stringify(got.body)).not.toContain('SECRET-TOKEN');
    const listed = await call(api, 'notifications.list', { token: adminToken });
    expect(JSON.stringify(listed.body)).not.toContain('SECRET-TOKEN');
  });
});
