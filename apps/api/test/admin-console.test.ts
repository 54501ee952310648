import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, uniqueEmail } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, login, startTestApi } from './auth-helpers.ts';

interface SettingsView {
  slug: string;
  allowSignup: boolean;
  defaultRole: string;
  signUpPath: string;
  roleChoices: Array<{ name: string; builtIn: boolean; notEligibleBecause: string | null }>;
}

interface SessionRow {
  id: string;
  device: string | null;
  createdAt: string;
  lastUsedAt: string;
}

/**
 * Admin console additions over HTTP (issue #14): the organisation's sign-up settings, a member's
 * sessions, notifications to an audience and rendered previews — permissions, tenancy, bad input that
 * changes nothing, and the audit trail.
 */
describe('admin console procedures', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;
  let orgSlug: string;
  let otherOrgId: string;
  let adminToken: string;
  let viewerToken: string;
  let otherAdminToken: string;
  let adminId: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    const org = await createTestOrg(t.db, {
      name: 'Console Org',
      settings: {
        conflictStrategy: 'aims-wins',
        notifications: { allowExternalRecipients: false, emailQuotaPerHour: 5 },
      },
    });
    orgId = org.id;
    orgSlug = org.slug;
    otherOrgId = (await createTestOrg(t.db, { name: 'Elsewhere' })).id;
    const admin = await createTestUser(t.db, { orgId, roles: ['admin'], name: 'Ada Admin' });
    adminId = admin.id;
    const viewer = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const otherAdmin = await createTestUser(t.db, { orgId: otherOrgId, roles: ['admin'] });
    adminToken = (await login(api, admin)).accessToken;
    viewerToken = (await login(api, viewer)).accessToken;
    otherAdminToken = (await login(api, otherAdmin)).accessToken;
  });
  afterAll(() => api.close());

  const auditOf = (action: string, org = orgId) =>
    t.db
      .selectFrom('audit_entries')
      .select(['actor_id', 'resource_id', 'payload'])
      .where('org_id', '=', org)
      .where('action', '=', action)
      .orderBy('seq')
      .execute();
  const settingsRow = async () =>
    (await t.db.selectFrom('orgs').select('settings').where('id', '=', orgId).executeTakeFirstOrThrow())
      .settings as Record<string, unknown>;

  describe('organisation settings (org.manage)', () => {
    it('shows the defaults, the sign-up link and which roles may be the default', async () => {
      const got = await call<SettingsView>(api, 'orgs.settings.get', { token: adminToken });
      expect(got.status).toBe(200);
      expect(got.data).toMatchObject({
        slug: orgSlug,
        allowSignup: false,
        defaultRole: 'viewer',
        signUpPath: `/sign-up?org=${orgSlug}`,
      });
      const choice = (name: string) => got.data.roleChoices.find((role) => role.name === name);
      expect(choice('viewer')?.notEligibleBecause).toBeNull();
      expect(choice('editor')?.notEligibleBecause).toBeNull();
      expect(choice('admin')?.notEligibleBecause).toMatch(/administer/);
    });

    it('needs org.manage (403) and answers each admin with their own org', async () => {
      expect((await call(api, 'orgs.settings.get', { token: viewerToken })).status).toBe(403);
      const update = await call(api, 'orgs.settings.update', {
        token: viewerToken,
        input: { allowSignup: true, defaultRole: 'viewer' },
      });
      expect(update.status).toBe(403);
      const other = await call<SettingsView>(api, 'orgs.settings.get', { token: otherAdminToken });
      expect(other.data.slug).not.toBe(orgSlug);
      expect(await settingsRow()).toMatchObject({ allowSignup: false, defaultRole: 'viewer' });
    });

    it('refuses an unknown or admin-level default role with 400 and changes nothing', async () => {
      await t.db
        .insertInto('roles')
        .values({ org_id: orgId, name: 'people-desk', permissions: ['users.manage', 'datasets.read'] })
        .execute();
      for (const defaultRole of ['no-such-role', 'admin', 'people-desk']) {
        const refused = await call(api, 'orgs.settings.update', {
          token: adminToken,
          input: { allowSignup: true, defaultRole },
        });
        expect(refused.status).toBe(400);
        expect(refused.body.error?.json.data.fieldErrors?.defaultRole).toHaveLength(1);
      }
      const malformed = await call(api, 'orgs.settings.update', {
        token: adminToken,
        input: { allowSignup: 'yes', defaultRole: 'viewer' },
      });
      expect(malformed.status).toBe(400);
      expect(await settingsRow()).toMatchObject({ allowSignup: false, defaultRole: 'viewer' });
      expect(await auditOf('org.settings_updated')).toHaveLength(0);
    });

    it('opens sign-up with a default role, keeps the other settings, audits, and sign-up honours it', async () => {
      const person = { email: uniqueEmail('joiner'), password: 'a long enough passphrase 42', name: 'Jo' };
      const closed = await call(api, 'auth.register', { input: { ...person, orgSlug } });
      expect(closed.status).toBe(403);

      const updated = await call<SettingsView>(api, 'orgs.settings.update', {
        token: adminToken,
        input: { allowSignup: true, defaultRole: 'editor' },
      });
      expect(updated.status).toBe(200);
      expect(updated.data).toMatchObject({ allowSignup: true, defaultRole: 'editor' });
      const stored = await settingsRow();
      expect(stored).toMatchObject({
        allowSignup: true,
        defaultRole: 'editor',
        conflictStrategy: 'aims-wins',
        notifications: { allowExternalRecipients: false, emailQuotaPerHour: 5 },
      });
      const audit = await auditOf('org.settings_updated');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor_id: adminId,
        resource_id: orgId,
        payload: {
          before: { allowSignup: false, defaultRole: 'viewer' },
          after: { allowSignup: true, defaultRole: 'editor' },
        },
      });
      // The same values again write nothing.
      await call(api, 'orgs.settings.update', {
        token: adminToken,
        input: { allowSignup: true, defaultRole: 'editor' },
      });
      expect(await auditOf('org.settings_updated')).toHaveLength(1);

      const joined = await call<{ role: string; orgId: string }>(api, 'auth.register', {
        input: { ...person, orgSlug },
      });
      expect(joined.status).toBe(200);
      expect(joined.data).toMatchObject({ role: 'editor', orgId });
    });

    it('lets a holder of org.manage alone choose only roles within their own permissions (403)', async () => {
      await t.db
        .insertInto('roles')
        .values({ org_id: orgId, name: 'front-desk', permissions: ['org.manage', 'datasets.read'] })
        .execute();
      const desk = await createTestUser(t.db, { orgId, roles: ['front-desk'] });
      const token = (await login(api, desk)).accessToken;
      const before = await settingsRow();
      const beyond = await call(api, 'orgs.settings.update', {
        token,
        input: { allowSignup: true, defaultRole: 'editor' },
      });
      expect(beyond.status).toBe(403);
      expect(await settingsRow()).toEqual(before);
      const within = await call<SettingsView>(api, 'orgs.settings.update', {
        token,
        input: { allowSignup: true, defaultRole: 'viewer' },
      });
      expect(within.status).toBe(200);
      expect(within.data.defaultRole).toBe('viewer');
      const last = (await auditOf('org.settings_updated')).at(-1);
      expect(last?.actor_id).toBe(desk.id);
    });

    it('never hands a default role that became admin-level to someone signing up', async () => {
      const role = await t.db
        .insertInto('roles')
        .values({ org_id: orgId, name: 'helpers', permissions: ['datasets.read'] })
        .returning('id')
        .executeTakeFirstOrThrow();
      const set = await call(api, 'orgs.settings.update', {
        token: adminToken,
        input: { allowSignup: true, defaultRole: 'helpers' },
      });
      expect(set.status).toBe(200);
      // Edited afterwards to carry an admin-level permission.
      await t.db
        .updateTable('roles')
        .set({ permissions: ['datasets.read', 'audit.read'] })
        .where('id', '=', role.id)
        .execute();
      const joined = await call<{ role: string }>(api, 'auth.register', {
        input: { email: uniqueEmail('late'), password: 'a long enough passphrase 42', name: 'Lee', orgSlug },
      });
      expect(joined.status).toBe(200);
      expect(joined.data.role).toBe('viewer');
    });
  });

  describe("a member's sessions (users.manage)", () => {
    it('lists live sessions, revokes one (its refresh then fails, the other works) and then all', async () => {
      const member = await createTestUser(t.db, { orgId, roles: ['viewer'], name: 'Sam Session' });
      const first = await login(api, member);
      const second = await login(api, member);
      const list = () =>
        call<SessionRow[]>(api, 'users.sessions.list', { token: adminToken, input: { userId: member.id } });
      const before = await list();
      expect(before.status).toBe(200);
      expect(before.data).toHaveLength(2);
      expect(before.data[0]?.device).toBeTruthy();

      const firstFamily = (
        await t.db
          .selectFrom('refresh_tokens')
          .select('family_id')
          .where('user_id', '=', member.id)
          .orderBy('created_at')
          .executeTakeFirstOrThrow()
      ).family_id;
      const revoked = await call(api, 'users.sessions.revoke', {
        token: adminToken,
        input: { userId: member.id, sessionId: firstFamily },
      });
      expect(revoked.status).toBe(200);
      expect((await list()).data.map((s) => s.id)).not.toContain(firstFamily);
      expect((await list()).data).toHaveLength(1);
      // The revoked session's access token is stale now, and its refresh is refused.
      const stale = await call(api, 'users.me', { token: first.accessToken });
      expect(stale.status).toBe(401);
      expect((await call(api, 'auth.refresh', { cookie: first.refreshToken })).status).toBe(401);
      const kept = await call(api, 'auth.refresh', { cookie: second.refreshToken });
      expect(kept.status).toBe(200);
      const [one] = await auditOf('user.session_revoked');
      expect(one).toMatchObject({
        actor_id: adminId,
        resource_id: member.id,
        payload: { sessionId: firstFamily },
      });

      // Revoking a session that is no longer live → 404.
      const again = await call(api, 'users.sessions.revoke', {
        token: adminToken,
        input: { userId: member.id, sessionId: firstFamily },
      });
      expect(again.status).toBe(404);

      const all = await call<{ sessions: number }>(api, 'users.sessions.revokeAll', {
        token: adminToken,
        input: { userId: member.id },
      });
      expect(all.status).toBe(200);
      expect(all.data.sessions).toBe(1);
      expect((await list()).data).toHaveLength(0);
      expect(await auditOf('user.sessions_revoked')).toHaveLength(1);
    });

    it('answers 404 for another org, 403 without users.manage, 400 for bad ids — changing nothing', async () => {
      const member = await createTestUser(t.db, { orgId, roles: ['viewer'] });
      await login(api, member);
      const family = (
        await t.db
          .selectFrom('refresh_tokens')
          .select('family_id')
          .where('user_id', '=', member.id)
          .executeTakeFirstOrThrow()
      ).family_id;
      const input = { userId: member.id, sessionId: family };
      expect((await call(api, 'users.sessions.list', { token: otherAdminToken, input })).status).toBe(404);
      expect((await call(api, 'users.sessions.revoke', { token: otherAdminToken, input })).status).toBe(404);
      expect((await call(api, 'users.sessions.revokeAll', { token: otherAdminToken, input })).status).toBe(
        404,
      );
      expect((await call(api, 'users.sessions.revoke', { token: viewerToken, input })).status).toBe(403);
      const bad = await call(api, 'users.sessions.revoke', {
        token: adminToken,
        input: { userId: member.id, sessionId: 'not-a-session' },
      });
      expect(bad.status).toBe(400);
      const live = await t.db
        .selectFrom('refresh_tokens')
        .select('id')
        .where('user_id', '=', member.id)
        .where('revoked_at', 'is', null)
        .execute();
      expect(live).toHaveLength(1);
      const audited = await t.db
        .selectFrom('audit_entries')
        .select('action')
        .where('resource_id', '=', member.id)
        .where('action', 'in', ['user.session_revoked', 'user.sessions_revoked'])
        .execute();
      expect(audited).toHaveLength(0);
    });
  });

  describe('notifications to an audience', () => {
    const editorsOrg = { id: '' };
    let token: string;
    let editorIds: string[];

    beforeAll(async () => {
      editorsOrg.id = (
        await createTestOrg(t.db, {
          name: 'Audience Org',
          settings: { notifications: { allowExternalRecipients: false, emailQuotaPerHour: 3 } },
        })
      ).id;
      const admin = await createTestUser(t.db, { orgId: editorsOrg.id, roles: ['admin'] });
      editorIds = [];
      for (const name of ['Eda', 'Eli']) {
        editorIds.push((await createTestUser(t.db, { orgId: editorsOrg.id, roles: ['editor'], name })).id);
      }
      await createTestUser(t.db, { orgId: editorsOrg.id, roles: ['editor'], status: 'disabled' });
      await createTestUser(t.db, { orgId: editorsOrg.id, roles: ['viewer'] });
      token = (await login(api, admin)).accessToken;
    });

    const rowsOf = (sendId: string) =>
      t.db
        .selectFrom('notifications')
        .select(['recipient_user_id', 'subject', 'channel'])
        .where('send_id', '=', sendId)
        .execute();

    it('counts the reach before sending: active holders of the role, or everyone', async () => {
      const reach = (audience: unknown, as = token) =>
        call<{ recipients: number; max: number }>(api, 'notifications.audienceReach', {
          type: 'query',
          token: as,
          input: { audience },
        });
      expect((await reach({ role: 'editor' })).data).toEqual({ recipients: 2, max: 500 });
      expect((await reach({ everyone: true })).data.recipients).toBe(4);
      const unknown = await reach({ role: 'nobody-role' });
      expect(unknown.status).toBe(400);
      expect((await reach({ role: 'editor' }, viewerToken)).status).toBe(403);
      // Another org's admin counts their own org's editors: none.
      expect((await reach({ role: 'editor' }, otherAdminToken)).data.recipients).toBe(0);
    });

    it('queues one in-app notification per member of the role, once per sendId, audited once', async () => {
      const sendId = crypto.randomUUID();
      const input = {
        sendId,
        channel: 'in_app',
        audience: { role: 'editor' },
        subject: 'Team meeting',
        body: 'Hello {{name}}, the meeting moved to {{when}}.',
        variables: { when: 'Friday' },
      };
      const sent = await call<{ recipients: number; alreadySent: boolean }>(
        api,
        'notifications.sendToAudience',
        { token, input },
      );
      expect(sent.status).toBe(200);
      expect(sent.data).toEqual({ sendId, recipients: 2, alreadySent: false });
      const rows = await rowsOf(sendId);
      expect(rows.map((row) => row.recipient_user_id).sort()).toEqual([...editorIds].sort());
      expect(rows.map((row) => row.subject)).toEqual(['Team meeting', 'Team meeting']);

      const repeated = await call<{ recipients: number; alreadySent: boolean }>(
        api,
        'notifications.sendToAudience',
        { token, input },
      );
      expect(repeated.data).toEqual({ sendId, recipients: 2, alreadySent: true });
      expect(await rowsOf(sendId)).toHaveLength(2);
      const audit = await auditOf('notification.audience_queued', editorsOrg.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        resource_id: sendId,
        payload: { audience: { role: 'editor' }, channel: 'in_app', recipients: 2 },
      });

      const listed = await call<{ items: unknown[] }>(api, 'notifications.list', {
        token,
        input: { sendId },
      });
      expect(listed.data.items).toHaveLength(2);
    });

    it('refuses, sending nothing: over the email quota (429), a missing variable (400), no permission (403)', async () => {
      const attempt = async (input: Record<string, unknown>, as = token) => {
        const sendId = crypto.randomUUID();
        const result = await call(api, 'notifications.sendToAudience', {
          token: as,
          input: { sendId, channel: 'email', subject: 'Hi', body: 'Hello {{name}}', ...input },
        });
        const sends = await t.db
          .selectFrom('notification_sends')
          .select('id')
          .where('id', '=', sendId)
          .execute();
        return { result, rows: await rowsOf(sendId), sends };
      };
      // Four active members, three emails left this hour: all or nothing.
      const quota = await attempt({ audience: { everyone: true } });
      expect(quota.result.status).toBe(429);
      expect(quota.result.message).toMatch(/4 emails/);
      expect(quota.rows).toHaveLength(0);
      expect(quota.sends).toHaveLength(0);

      const missing = await attempt({ audience: { role: 'editor' }, body: 'Your slot is {{slot}}' });
      expect(missing.result.status).toBe(400);
      expect(missing.rows).toHaveLength(0);
      expect(missing.sends).toHaveLength(0);

      const forbidden = await attempt({ audience: { role: 'editor' } }, viewerToken);
      expect(forbidden.result.status).toBe(403);

      const badAudience = await attempt({ audience: { role: 'editor', everyone: true } });
      expect(badAudience.result.status).toBe(400);

      // Within the quota it goes: two editors, two of the three emails.
      const fits = await attempt({ audience: { role: 'editor' } });
      expect(fits.result.status).toBe(200);
      expect(fits.rows).toHaveLength(2);
      expect(fits.rows.every((row) => row.channel === 'email')).toBe(true);
    });
  });

  describe('previews', () => {
    it('renders a template with sample values, the HTML part as the worker sends it', async () => {
      const template = await t.db
        .selectFrom('notification_templates')
        .select('id')
        .where('org_id', 'is', null)
        .where('key', '=', 'incident-opened')
        .where('channel', '=', 'email')
        .executeTakeFirstOrThrow();
      const preview = await call<{ subject: string; text: string; html: string; sampled: string[] }>(
        api,
        'notifications.preview',
        { type: 'query', token: adminToken, input: { templateId: template.id } },
      );
      expect(preview.status).toBe(200);
      expect(preview.data.sampled).toEqual(expect.arrayContaining(['title', 'severity', 'url']));
      expect(preview.data.subject).toContain('Error rate above threshold');
      expect(preview.data.html).toContain('<a href="https://atrium.example/admin">');

      const written = await call<{ html: string; text: string }>(api, 'notifications.preview', {
        type: 'query',
        token: adminToken,
        input: { channel: 'email', subject: 'Hi {{name}}', body: '<b>{{x}}</b>', variables: { x: '<i>' } },
      });
      expect(written.data.text).toBe('<b><i></b>');
      expect(written.data.html).toContain('&lt;b&gt;&lt;i&gt;&lt;/b&gt;');
    });

    it("answers 404 for another org's template, 403 without the permission, 400 for a malformed one", async () => {
      const own = await t.db
        .insertInto('notification_templates')
        .values({
          org_id: otherOrgId,
          key: 'elsewhere-note',
          channel: 'email',
          locale: 'en',
          subject: 'S',
          body: 'B',
          variables: [],
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const query = (input: unknown, as = adminToken) =>
        call(api, 'notifications.preview', { type: 'query', token: as, input });
      expect((await query({ templateId: own.id })).status).toBe(404);
      expect((await query({ templateId: own.id }, viewerToken)).status).toBe(403);
      expect((await query({ channel: 'email', subject: 'x', body: 'Hi {{ broken' })).status).toBe(400);
    });
  });
});
