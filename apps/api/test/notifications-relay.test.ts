import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, uniqueEmail } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, login, startTestApi } from './auth-helpers.ts';

/**
 * Atrium is not a relay (SPEC §6): whoever signs up becomes an org admin, so `notifications.send`
 * must not let them mail strangers, impersonate the platform's own emails or another org, or send
 * without bound. Each test failed against the API before these rules.
 */
describe('notifications.send cannot be turned into a spam or phishing relay', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;
  let adminToken: string;
  let operatorToken: string;
  let member: { id: string; email: string };
  let strangerInOtherOrg: { email: string };

  beforeAll(async () => {
    api = await startTestApi(t.url, { NOTIFICATIONS_EMAIL_QUOTA_PER_HOUR: '3' });
    orgId = (await createTestOrg(t.db, { name: 'Honest Org' })).id;
    const admin = await createTestUser(t.db, { orgId, roles: ['admin'] });
    member = await createTestUser(t.db, { orgId, roles: ['viewer'], name: 'Mia Member' });
    adminToken = (await login(api, admin)).accessToken;
    const platform = (await createTestOrg(t.db, { name: 'Platform' })).id;
    const operator = await createTestUser(t.db, {
      orgId: platform,
      roles: ['viewer'],
      platformRole: 'operator',
    });
    operatorToken = (await login(api, operator)).accessToken;
    const other = (await createTestOrg(t.db, { name: 'Other Org' })).id;
    strangerInOtherOrg = await createTestUser(t.db, { orgId: other, roles: ['viewer'] });
  });
  afterAll(() => api.close());

  const send = (input: Record<string, unknown>, token = adminToken) =>
    call<{ id: string; to: { userId: string | null; email: string | null }; subject: string }>(
      api,
      'notifications.send',
      { token, input: { channel: 'email', subject: 'Hello', body: 'A note', ...input } },
    );
  const count = async () => (await t.db.selectFrom('notifications').select('id').execute()).length;

  it('sends to members only: a stranger’s address and another org’s member read the same, 422, nothing written', async () => {
    const before = await count();
    const stranger = await send({ to: { email: uniqueEmail('victim') } });
    const otherMember = await send({ to: { email: strangerInOtherOrg.email } });
    for (const refused of [stranger, otherMember]) {
      expect(refused.status).toBe(422);
      expect(refused.code).toBe('UNPROCESSABLE');
      expect(refused.body.error?.json.data.fieldErrors).toEqual({
        to: ['Not a member of your organisation'],
      });
    }
    expect(stranger.message).toBe(otherMember.message);
    expect(await count()).toBe(before);
    const ok = await send({ to: { email: member.email } });
    expect(ok.status).toBe(200);
    expect(ok.data.to.userId).toBe(member.id);
  });

  it('never sends the platform’s own templates by hand', async () => {
    for (const templateKey of [
      'password-reset',
      'verify-email',
      'welcome',
      'password-changed',
      'invitation',
    ]) {
      const refused = await call(api, 'notifications.send', {
        token: adminToken,
        input: {
          channel: 'email',
          to: { userId: member.id },
          templateKey,
          variables: { resetUrl: 'https://evil.example' },
        },
      });
      expect(refused.status, templateKey).toBe(400);
      expect(refused.body.error?.json.data.fieldErrors?.templateKey).toBeDefined();
    }
    // Nor can an org rewrite the invitation emails that reach people outside it.
    const override = await call(api, 'notifications.templates.upsert', {
      token: adminToken,
      input: {
        key: 'invitation',
        channel: 'email',
        subject: 'Verify your bank',
        body: 'Click {{acceptUrl}}',
      },
    });
    expect(override.status).toBe(400);
  });

  it('fills in the org’s and the recipient’s names itself: a caller cannot pose as someone else', async () => {
    const posing = await send({
      to: { userId: member.id },
      subject: 'From {{orgName}}',
      variables: { orgName: 'Your Bank' },
    });
    expect(posing.status).toBe(400);
    expect(posing.body.error?.json.data.fieldErrors).toHaveProperty('variables.orgName');
    const honest = await send({ to: { userId: member.id }, subject: 'From {{orgName}} to {{name}}' });
    expect(honest.data.subject).toBe('From Honest Org to Mia Member');
  });

  it('an hourly email quota per org: past it 429 with Retry-After; in-app messages do not count', async () => {
    const org = (await createTestOrg(t.db)).id;
    const lead = await createTestUser(t.db, { orgId: org, roles: ['admin'] });
    const reader = await createTestUser(t.db, { orgId: org, roles: ['viewer'] });
    const token = (await login(api, lead)).accessToken;
    for (let i = 0; i < 3; i++) expect((await send({ to: { userId: reader.id } }, token)).status).toBe(200);
    const over = await send({ to: { userId: reader.id } }, token);
    expect(over.status).toBe(429);
    expect(over.code).toBe('RATE_LIMITED');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(3500);
    const inApp = await send({ channel: 'in_app', to: { userId: reader.id } }, token);
    expect(inApp.status).toBe(200);
    // Concurrent senders cannot overshoot: the quota is taken under a per-org lock.
    const burstOrg = (await createTestOrg(t.db)).id;
    const burstLead = await createTestUser(t.db, { orgId: burstOrg, roles: ['admin'] });
    const burstToken = (await login(api, burstLead)).accessToken;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => send({ to: { userId: burstLead.id } }, burstToken)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(5);
  });

  it('a platform operator — and only an operator — enables external recipients and sets an org’s quota', async () => {
    const policy = { orgId, allowExternalRecipients: true, emailQuotaPerHour: 50 };
    const byAdmin = await call(api, 'orgs.setNotificationPolicy', { token: adminToken, input: policy });
    expect(byAdmin.status).toBe(403);
    const byOperator = await call(api, 'orgs.setNotificationPolicy', { token: operatorToken, input: policy });
    expect(byOperator.status).toBe(200);
    const external = await send({ to: { email: uniqueEmail('partner') } });
    expect(external.status).toBe(200);
    expect(external.data.to.userId).toBeNull();
    const listed = await call<{ items: Array<{ id: string; notifications: unknown }> }>(api, 'orgs.list', {
      token: operatorToken,
      type: 'query',
      input: { q: 'Honest' },
    });
    expect(listed.data.items.find((o) => o.id === orgId)?.notifications).toEqual({
      allowExternalRecipients: true,
      emailQuotaPerHour: 50,
    });
  });
});
