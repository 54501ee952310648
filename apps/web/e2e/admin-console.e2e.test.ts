import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { signInWithApi } from './session.ts';

const ORG = 'Console E2E';
const PASSWORD = 'pebble harbour violet 61';
const ADMIN = { name: 'Ada Admin', email: 'ada@console-e2e.example', roles: ['admin'] };
const SAM = { name: 'Sam Session', email: 'sam@console-e2e.example', roles: ['viewer'] };
const EDITORS = [
  { name: 'Eda Editor', email: 'eda@console-e2e.example', roles: ['editor'] },
  { name: 'Eli Editor', email: 'eli@console-e2e.example', roles: ['editor'] },
];
const NEWCOMER = {
  name: 'Nia Newcomer',
  email: 'nia@console-e2e.example',
  password: 'meadow copper lantern 27',
};

/** API → outbox → relay → queue → dispatch → inbox: seconds, not minutes. */
const PIPELINE = { timeout: 60_000 };
/** For UI updates that follow an API answer. */
const UI = { timeout: 10_000 };

describeInBrowser(
  'admin console: members, sessions, sign-up settings, audience sends, filters in the address',
  () => {
    const stack = useE2eStack({ name: 'admin-console', mail: true, worker: true });
    const { open, screenshotOnFailure } = stack;
    let orgSlug: string;
    let outsiderId: string;
    const textOf = async (locator: Locator) => (await locator.textContent()) ?? '';
    const userRow = (page: Page, email: string) =>
      page.locator(`[data-testid="user-row"][data-email="${email}"]`);

    beforeAll(async () => {
      const org = await createTestOrg(stack.database.db, { name: ORG });
      orgSlug = org.slug;
      // Enough people for a second page of members (20 a page), made first: the list shows the
      // newest first, so the people of the tests are on page 1.
      for (let i = 1; i <= 20; i++) {
        const n = String(i).padStart(2, '0');
        await createTestUser(stack.database.db, {
          orgId: org.id,
          name: `Member ${n}`,
          email: `member${n}@console-e2e.example`,
        });
      }
      for (const member of [ADMIN, SAM, ...EDITORS]) {
        await createTestUser(stack.database.db, { orgId: org.id, ...member, password: PASSWORD });
      }
      const elsewhere = await createTestOrg(stack.database.db, { name: 'Elsewhere E2E' });
      outsiderId = (await createTestUser(stack.database.db, { orgId: elsewhere.id, name: 'Olga Outsider' }))
        .id;
    });

    const adminPage = async (path: string): Promise<Page> => {
      const page = await open();
      await signInWithApi(page, { email: ADMIN.email, password: PASSWORD });
      await page.goto(path);
      return page;
    };

    it('opens a member from the list and ends one of their sessions; another org’s member is not found', async () => {
      screenshotOnFailure('member-sessions');
      // Sam is signed in in a browser of their own.
      const sam = await open();
      await signInWithApi(sam, { email: SAM.email, password: PASSWORD });
      await sam.goto('/profile');
      await sam.getByRole('heading', { level: 1 }).waitFor();

      const admin = await adminPage('/admin/users');
      await userRow(admin, SAM.email).getByRole('link', { name: SAM.name }).click();
      await admin.waitForURL('**/admin/users/*');
      await expect.poll(() => textOf(admin.getByTestId('user-name')), UI).toBe(SAM.name);
      expect(await textOf(admin.getByTestId('user-roles'))).toContain('viewer');
      const sessions = admin.getByTestId('session-row');
      await expect.poll(() => sessions.count(), UI).toBe(1);
      await screenshot(admin, 'admin-member-page');

      await sessions
        .first()
        .getByRole('button', { name: /^Sign out the session/ })
        .click();
      await admin.getByRole('dialog').getByRole('button', { name: 'End session' }).click();
      await admin.getByTestId('no-sessions').waitFor(UI);
      expect(await textOf(admin.getByTestId('result-notice'))).toContain('has ended');

      // Sam's browser is signed out at its next load.
      await sam.reload();
      await sam.waitForURL('**/sign-in**', UI);

      // Recent activity links to the audit log filtered by the person (here: the admin's own page).
      await admin.goto('/admin/audit');
      const actor = admin.getByTestId('audit-actor').getByRole('link', { name: ADMIN.name }).first();
      await actor.click();
      await admin.waitForURL('**/admin/users/*');
      await admin.getByRole('link', { name: `Everything ${ADMIN.name} did, in the audit log` }).click();
      await admin.waitForURL('**/admin/audit?actorId=*');
      await expect.poll(() => admin.getByTestId('audit-row').count(), UI).toBeGreaterThan(0);
      const actors = await admin.getByTestId('audit-actor').allTextContents();
      expect(new Set(actors)).toEqual(new Set([ADMIN.name]));

      await admin.goto(`/admin/users/${outsiderId}`);
      await admin.getByRole('heading', { name: 'Page not found' }).waitFor(UI);
    });

    it('sends to everyone with a role: the reach is shown first and each member finds it in their inbox', async () => {
      screenshotOnFailure('audience-send');
      const editorPages: Page[] = [];
      for (const editor of EDITORS) {
        const page = await open();
        await signInWithApi(page, { email: editor.email, password: PASSWORD });
        await page.goto('/notifications');
        await page.getByRole('heading', { level: 1 }).waitFor();
        editorPages.push(page);
      }
      const admin = await adminPage('/admin/notifications/send');
      await admin.getByLabel('Everyone with a role').check();
      await admin.getByLabel('Role', { exact: true }).selectOption('editor');
      await expect
        .poll(() => textOf(admin.getByTestId('audience-reach')), UI)
        .toContain('It reaches 2 people (active members with the role editor)');
      await admin.getByLabel('Write subject and body').check();
      await admin.getByLabel('Subject', { exact: true }).fill('Editors meet on Friday');
      await admin.getByLabel('Body', { exact: true }).fill('Hello {{name}}, bring your drafts.');
      await screenshot(admin, 'admin-send-to-role');
      await admin.getByRole('button', { name: 'Send notification' }).click();
      await admin.getByTestId('result-notice').waitFor(UI);
      expect(await textOf(admin.getByTestId('result-notice'))).toContain('Queued for 2 people');

      // Each editor's inbox, open before the send, shows it live (the bell refetches on notification.new).
      for (const [index, page] of editorPages.entries()) {
        await expect
          .poll(async () => (await page.getByTestId('inbox-item').allTextContents()).join('\n'), PIPELINE)
          .toContain(`Hello ${EDITORS[index]?.name}, bring your drafts.`);
      }

      // "Follow their delivery" lists just this send's notifications, and the view survives a reload.
      await admin.getByTestId('result-notice').getByRole('link', { name: 'Follow their delivery' }).click();
      await admin.waitForURL('**/admin/notifications?sendId=*');
      const rows = admin.locator('table tbody tr');
      await expect.poll(() => rows.count(), UI).toBe(2);
      await admin.reload();
      await expect.poll(() => rows.count(), UI).toBe(2);
    });

    it('previews a template with sample values, the email part in a sandboxed frame', async () => {
      screenshotOnFailure('template-preview');
      const admin = await adminPage('/admin/notifications/templates');
      await admin.getByLabel('Channel', { exact: true }).selectOption('email');
      const row = admin.locator(
        '[data-testid="template-row"][data-key="incident-opened"][data-scope="global"]',
      );
      await row.getByRole('button', { name: /^Preview incident-opened/ }).click();
      const dialog = admin.getByRole('dialog', { name: /^Preview of incident-opened/ });
      const preview = dialog.getByTestId('rendered-preview');
      await expect
        .poll(() => textOf(preview.getByTestId('rendered-subject')), UI)
        .toContain('Error rate above threshold');
      const frame = preview.getByTestId('rendered-html');
      expect(await frame.getAttribute('sandbox')).toBe('');
      const html = admin.frameLocator('[data-testid="rendered-html"]');
      await expect
        .poll(() => html.locator('a').first().getAttribute('href'), UI)
        .toBe('https://atrium.example/admin');
      expect(await textOf(preview.locator('.field__hint'))).toContain('Sample values stand in for');
      await screenshot(admin, 'admin-template-preview');
    });

    it('opens sign-up with a default role; someone signing up through the link joins with it', async () => {
      screenshotOnFailure('open-sign-up');
      const admin = await adminPage('/admin');
      await admin.getByRole('link', { name: 'Organisation' }).first().click();
      await admin.waitForURL('**/admin/organisation');
      const link = await textOf(admin.getByTestId('sign-up-link'));
      expect(link).toMatch(new RegExp(`/sign-up\\?org=${orgSlug}$`));
      // Admin-level roles are offered but cannot be chosen.
      expect(await admin.locator('select[name="defaultRole"] option[value="admin"]').isDisabled()).toBe(true);
      await admin.getByLabel('Anyone with the link may sign up').check();
      await admin.getByLabel('Role of people who sign up').selectOption('editor');
      await admin.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => textOf(admin.getByTestId('result-notice')), UI).toContain('as editor');
      await screenshot(admin, 'admin-organisation');
      // Saved: a reload shows it.
      await admin.reload();
      await expect
        .poll(() => admin.getByLabel('Anyone with the link may sign up').isChecked(), UI)
        .toBe(true);
      expect(await admin.getByLabel('Role of people who sign up').inputValue()).toBe('editor');

      const newcomer = await open();
      await newcomer.goto(new URL(link).pathname + new URL(link).search);
      await newcomer.getByLabel('Your name').fill(NEWCOMER.name);
      await newcomer.getByLabel('Email', { exact: true }).fill(NEWCOMER.email);
      await newcomer.getByLabel('Password', { exact: true }).fill(NEWCOMER.password);
      await newcomer.getByRole('button', { name: 'Create account' }).click();
      await newcomer.waitForURL('**/verify-email?**');
      expect(await textOf(newcomer.getByTestId('verify-registered'))).toContain(orgSlug);

      await admin.goto(`/admin/users?q=${encodeURIComponent(NEWCOMER.email)}`);
      await expect
        .poll(() => textOf(userRow(admin, NEWCOMER.email).getByTestId('user-roles')), UI)
        .toBe('editor');
    });

    it('keeps the filters and the page of a list in the address across a reload', async () => {
      screenshotOnFailure('filters-reload');
      const admin = await adminPage('/admin/users');
      await admin.getByLabel('Role', { exact: true }).selectOption('editor');
      await admin.getByRole('button', { name: 'Apply' }).click();
      await admin.waitForURL('**/admin/users?role=editor');
      const editors = () =>
        admin
          .getByTestId('user-row')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-email')));
      await expect.poll(editors, UI).toEqual(expect.arrayContaining(EDITORS.map((e) => e.email)));
      await admin.reload();
      await expect.poll(() => admin.getByLabel('Role', { exact: true }).inputValue(), UI).toBe('editor');
      await expect.poll(editors, UI).toEqual(expect.arrayContaining(EDITORS.map((e) => e.email)));
      const after = await editors();
      expect(after).not.toContain(SAM.email);
      expect(after).not.toContain(ADMIN.email);

      // The page too: page 2 of the members stays page 2.
      await admin.getByRole('button', { name: 'Reset' }).click();
      await admin.waitForURL(/\/admin\/users$/);
      const pageLabel = admin.locator('.pager__page');
      await expect.poll(() => textOf(pageLabel), UI).toBe('Page 1');
      const rowsShown = () => admin.getByTestId('user-row').allTextContents();
      await expect.poll(async () => (await rowsShown()).join('\n'), UI).toContain(SAM.name);
      await admin.getByRole('button', { name: 'Next' }).click();
      await admin.waitForURL('**/admin/users?after=*');
      await expect.poll(() => textOf(pageLabel), UI).toBe('Page 2');
      // The oldest members (Member 01 was made first); the people of page 1 are gone.
      await expect
        .poll(async () => {
          const rows = (await rowsShown()).join('\n');
          return rows.includes('Member 01') && !rows.includes(SAM.name);
        }, UI)
        .toBe(true);
      const secondPage = await rowsShown();
      await admin.reload();
      await expect.poll(() => textOf(pageLabel), UI).toBe('Page 2');
      await expect.poll(rowsShown, UI).toEqual(secondPage);
      await admin.getByRole('button', { name: 'Previous' }).click();
      await expect.poll(() => textOf(pageLabel), UI).toBe('Page 1');

      // The audit log: a filter survives too.
      await admin.goto('/admin/audit');
      await admin.getByLabel('Action', { exact: true }).selectOption('notification.audience_queued');
      await admin.getByRole('button', { name: 'Apply' }).click();
      await admin.waitForURL('**/admin/audit?action=notification.audience_queued');
      await expect.poll(() => admin.getByTestId('audit-row').count(), UI).toBe(1);
      await admin.reload();
      await expect.poll(() => admin.getByTestId('audit-row').count(), UI).toBe(1);
      expect(await admin.getByLabel('Action', { exact: true }).inputValue()).toBe(
        'notification.audience_queued',
      );
    });
  },
);
