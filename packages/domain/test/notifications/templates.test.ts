import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';

/**
 * Dispatch is what these tests are about, so a platform operator has let their orgs email addresses
 * outside them (notifications/policy.ts; the restriction itself is tested over HTTP).
 */
const MAY_EMAIL_ANYONE = { notifications: { allowExternalRecipients: true } };

import { describe, expect, it } from 'vitest';
import { NotFoundError, UnprocessableError, ValidationError } from '../../src/errors.ts';
import { getNotification, sendNotification } from '../../src/notifications/admin.ts';
import { enqueueNotification } from '../../src/notifications/enqueue.ts';
import {
  deleteTemplate,
  getTemplate,
  listTemplates,
  localeChain,
  resolveTemplate,
  upsertTemplate,
} from '../../src/notifications/templates.ts';

const SPEC_KEYS = [
  'verify-email',
  'welcome',
  'password-changed',
  'password-reset',
  'creator-approved',
  'creator-rejected',
  'incident-opened',
  'sync-failed',
];

describe('notification templates', () => {
  const t = useTestDatabase();

  async function adminOf(name = 'Template Org') {
    const orgId = (await createTestOrg(t.db, { name, settings: MAY_EMAIL_ANYONE })).id;
    const admin = await createTestUser(t.db, { orgId, name: 'Ada Admin' });
    return {
      orgId,
      session: testSession({
        orgId,
        userId: admin.id,
        roles: ['admin'],
        permissions: ['notifications.send'],
      }),
      admin,
    };
  }

  it('the migration seeds every built-in of SPEC §6 as a global English email template', async () => {
    const rows = await t.db
      .selectFrom('notification_templates')
      .select(['key', 'channel', 'locale', 'sensitive'])
      .where('org_id', 'is', null)
      .execute();
    for (const key of SPEC_KEYS) {
      expect(rows).toContainEqual(expect.objectContaining({ key, channel: 'email', locale: 'en' }));
    }
    const sensitive = rows.filter((row) => row.sensitive).map((row) => row.key);
    expect(sensitive.sort()).toEqual([
      'invitation',
      'invitation-existing-account',
      'password-reset',
      'verify-email',
    ]);
    // In-app twins where an inbox message makes sense; none for mails that carry a secret.
    expect(
      rows
        .filter((row) => row.channel === 'in_app')
        .map((row) => row.key)
        .sort(),
    ).toEqual(['creator-approved', 'creator-rejected', 'incident-opened', 'password-changed', 'sync-failed']);
  });

  it('locale chain: the locale, its language, then en', () => {
    expect(localeChain('de-CH')).toEqual(['de-CH', 'de', 'en']);
    expect(localeChain('en')).toEqual(['en']);
    expect(localeChain('zh-Hant-TW')).toEqual(['zh-Hant-TW', 'zh-Hant', 'zh', 'en']);
  });

  it('resolution: an org override beats the global of its locale, a translation beats an English override', async () => {
    const { orgId, session } = await adminOf();
    const other = await adminOf('Other Org');
    await t.db
      .insertInto('notification_templates')
      .values({
        org_id: null,
        key: 'sync-failed',
        channel: 'email',
        locale: 'de',
        subject: 'Synchronisierung fehlgeschlagen: {{what}}',
        body: 'Fehler: {{error}}',
        variables: ['name', 'orgName', 'what', 'error', 'url'],
      })
      .execute();

    const resolve = (org: string, locale: string) =>
      resolveTemplate(t.db, { orgId: org, key: 'sync-failed', channel: 'email', locale });
    expect((await resolve(orgId, 'fr'))?.org_id).toBeNull();
    expect((await resolve(orgId, 'fr'))?.locale).toBe('en');
    expect((await resolve(orgId, 'de-AT'))?.locale).toBe('de');

    await upsertTemplate({ db: t.db }, session, {
      key: 'sync-failed',
      channel: 'email',
      locale: 'en',
      subject: 'Our sync broke: {{what}}',
      body: 'Ask the team. {{error}}',
    });
    expect((await resolve(orgId, 'en'))?.subject).toBe('Our sync broke: {{what}}');
    expect((await resolve(orgId, 'fr'))?.subject).toBe('Our sync broke: {{what}}');
    // German readers get German (the global translation) rather than the org's English override.
    expect((await resolve(orgId, 'de-CH'))?.locale).toBe('de');
    // Another org still gets the built-in.
    expect((await resolve(other.orgId, 'en'))?.org_id).toBeNull();

    // What enqueueNotification renders follows the same rule.
    const user = await createTestUser(t.db, { orgId });
    const { id } = await t.db.transaction().execute((trx) =>
      enqueueNotification(trx, {
        orgId,
        channel: 'email',
        to: { userId: user.id },
        templateKey: 'sync-failed',
        variables: { what: 'AIMS labels', error: 'timeout', url: 'https://x.example' },
      }),
    );
    const stored = await getNotification({ db: t.db }, session, { id });
    expect(stored.subject).toBe('Our sync broke: AIMS labels');
    expect(stored.body).toBe('Ask the team. timeout');
  });

  it('upsert: an override may use only the built-in’s variables, keeps it sensitive, and is audited', async () => {
    const { orgId, session } = await adminOf();
    await expect(
      upsertTemplate({ db: t.db }, session, {
        key: 'verify-email',
        channel: 'email',
        subject: 'Code',
        body: 'Your code {{code}} for {{shoeSize}}',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringContaining('shoeSize') });
    await expect(
      upsertTemplate({ db: t.db }, session, {
        key: 'verify-email',
        channel: 'email',
        subject: 'x',
        body: '{{code}',
      }),
    ).rejects.toBeInstanceOf(ValidationError);

    const created = await upsertTemplate({ db: t.db }, session, {
      key: 'verify-email',
      channel: 'email',
      subject: '{{orgName}} code',
      body: 'Here it is: {{code}}',
      sensitive: false,
    });
    expect(created).toMatchObject({ scope: 'org', sensitive: true, locale: 'en' });
    const updated = await upsertTemplate({ db: t.db }, session, {
      key: 'verify-email',
      channel: 'email',
      subject: '{{orgName}} code',
      body: 'Here it is again: {{code}}',
    });
    expect(updated.id).toBe(created.id);
    expect(updated.body).toBe('Here it is again: {{code}}');

    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'resource_id', 'payload'])
      .where('org_id', '=', orgId)
      .where('action', '=', 'notification_template.upserted')
      .orderBy('seq')
      .execute();
    expect(audit.map((entry) => (entry.payload as { created: boolean }).created)).toEqual([true, false]);
    expect(audit[0]?.resource_id).toBe(created.id);
  });

  it('custom keys: free variables, listed with the built-ins, scoped to the org', async () => {
    const { session } = await adminOf();
    const other = await adminOf('Nosy Org');
    const custom = await upsertTemplate({ db: t.db }, session, {
      key: 'shift-reminder',
      channel: 'in_app',
      locale: 'de-ch',
      subject: 'Schicht {{day}}',
      body: 'Bitte um {{time}} da sein.',
    });
    expect(custom).toMatchObject({ locale: 'de-CH', variables: ['day', 'time'], sensitive: false });

    const mine = await listTemplates({ db: t.db }, session, {});
    expect(mine.some((row) => row.id === custom.id)).toBe(true);
    expect(mine.filter((row) => row.scope === 'global').length).toBeGreaterThanOrEqual(13);
    const theirs = await listTemplates({ db: t.db }, other.session, {});
    expect(theirs.some((row) => row.id === custom.id)).toBe(false);
    await expect(getTemplate({ db: t.db }, other.session, { id: custom.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(deleteTemplate({ db: t.db }, other.session, { id: custom.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('globals are read-only (422 on delete) and flagged as overridden in the list', async () => {
    const { orgId, session } = await adminOf();
    const global = (await listTemplates({ db: t.db }, session, { key: 'welcome', channel: 'email' })).find(
      (row) => row.scope === 'global',
    );
    expect(global?.overridden).toBe(false);
    await expect(deleteTemplate({ db: t.db }, session, { id: global?.id ?? '' })).rejects.toBeInstanceOf(
      UnprocessableError,
    );

    const override = await upsertTemplate({ db: t.db }, session, {
      key: 'welcome',
      channel: 'email',
      subject: 'Welcome, {{name}}',
      body: 'Sign in at {{signInUrl}} as {{email}}; lost it? {{resetUrl}}',
    });
    const listed = await listTemplates({ db: t.db }, session, { key: 'welcome' });
    expect(listed.find((row) => row.scope === 'global')?.overridden).toBe(true);
    expect((await getTemplate({ db: t.db }, session, { id: global?.id ?? '' })).overridden).toBe(true);

    expect(await deleteTemplate({ db: t.db }, session, { id: override.id })).toEqual({
      id: override.id,
      deleted: true,
    });
    expect((await listTemplates({ db: t.db }, session, { key: 'welcome' })).map((row) => row.scope)).toEqual([
      'global',
    ]);
    const actions = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('org_id', '=', orgId)
      .orderBy('seq')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'notification_template.upserted',
      'notification_template.deleted',
    ]);
  });

  it('a send naming a key that has no template for the channel is a 400 on templateKey', async () => {
    const { orgId, session } = await adminOf();
    const user = await createTestUser(t.db, { orgId });
    await expect(
      sendNotification({ db: t.db }, session, {
        channel: 'in_app',
        to: { userId: user.id },
        templateKey: 'no-such-template',
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      fieldErrors: { templateKey: ['No in-app template with this key'] },
    });
  });
});
