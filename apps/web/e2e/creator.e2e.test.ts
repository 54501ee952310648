import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { atHome, signInWithApi } from './session.ts';

const ORG = 'Creator E2E';
const PASSWORD = 'juniper lantern orbit 42';
const VIEWER = { name: 'Vera Viewer', email: 'vera@creator-e2e.example', roles: ['viewer'] };
const EDITOR = { name: 'Eddie Editor', email: 'eddie@creator-e2e.example', roles: ['editor'] };
const ADMIN = { name: 'Ada Admin', email: 'ada@creator-e2e.example', roles: ['admin'] };

/** The org's own version of the built-in in-app approval notice (set up by the admin below). */
const APPROVED_SUBJECT = `Welcome to the creators of ${ORG}`;

/** API → outbox → relay → queue → consumer → notification → dispatch → SSE: seconds, not minutes. */
const PIPELINE = { timeout: 30_000 };
/** For UI updates that follow an API answer. */
const UI = { timeout: 10_000 };

describeInBrowser('creator programme: built app, real API and worker, SSE, mail catcher, Chromium', () => {
  // A private Redis prefix: this file's rate-limit counters (sign-in failures, resends) are its own.
  const stack = useE2eStack({
    name: 'creator',
    mail: true,
    worker: true,
  });
  const { open, screenshotOnFailure } = stack;
  let viewerPage: Page;
  /** `auth.login` calls the viewer's browser made (the sign-in form's). */
  let viewerLogins = 0;

  const bell = (page: Page) => page.getByTestId('notification-bell');
  const bellButton = (page: Page) => bell(page).getByRole('button', { name: /^Notifications/ });
  /** The unread count the badge shows; 0 when there is no badge. */
  const badgeCount = async (page: Page): Promise<number> => {
    const badge = page.getByTestId('unread-badge');
    return (await badge.count()) === 0 ? 0 : Number(await badge.textContent());
  };
  const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
  const waitLive = (page: Page) =>
    expect.poll(() => bell(page).getAttribute('data-realtime'), UI).toBe('live');
  const isMarked = (page: Page) => page.evaluate(() => Reflect.get(window, 'atriumE2eNoReload') === true);
  const textOf = async (locator: Locator) => (await locator.textContent()) ?? '';

  beforeAll(async () => {
    const org = await createTestOrg(stack.database.db, { name: ORG });
    for (const member of [VIEWER, EDITOR, ADMIN]) {
      await createTestUser(stack.database.db, { orgId: org.id, ...member, password: PASSWORD });
    }
  });

  it('an admin overrides the in-app approval notice for the organisation (templates editor)', async () => {
    screenshotOnFailure('templates');
    const page = await open();
    await signInWithApi(page, { email: ADMIN.email, password: PASSWORD });
    await page.goto('/admin');
    await page
      .getByRole('navigation', { name: 'Admin sections' })
      .getByRole('link', { name: 'Notifications' })
      .click();
    await page.waitForURL('**/admin/notifications');
    await page
      .getByRole('navigation', { name: 'Notifications sections' })
      .getByRole('link', { name: 'Templates' })
      .click();
    await page.waitForURL('**/admin/notifications/templates');

    await page.getByLabel('Channel', { exact: true }).selectOption('in_app');
    const builtIn = page.locator(
      '[data-testid="template-row"][data-key="creator-approved"][data-scope="global"]',
    );
    await builtIn.waitFor();
    // Built-ins are read-only: Preview, View and Override, no Edit or Delete.
    expect(await builtIn.getByRole('button').allTextContents()).toEqual(['Preview', 'View', 'Override…']);
    await builtIn.getByRole('button', { name: /^Override creator-approved/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Override creator-approved' });
    expect(await dialog.getByLabel('Key', { exact: true }).inputValue()).toBe('creator-approved');
    // A variable the built-in does not declare is refused, next to the body.
    await dialog.getByLabel('Subject', { exact: true }).fill(APPROVED_SUBJECT.replace(ORG, '{{orgName}}'));
    await dialog.getByLabel('Body', { exact: true }).fill('Hello {{name}}, {{favouriteColour}} suits you.');
    await dialog.getByRole('button', { name: 'Save template' }).click();
    await expect.poll(() => textOf(dialog.locator('.field__error')), UI).toContain('favouriteColour');
    await dialog
      .getByLabel('Body', { exact: true })
      .fill('Hello {{name}}, your application {{applicationId}} was approved. {{nextSteps}}');
    await dialog.getByRole('button', { name: 'Save template' }).click();
    await page.getByTestId('result-notice').waitFor();
    expect(await textOf(page.getByTestId('result-notice'))).toContain('Saved creator-approved');

    const own = page.locator('[data-testid="template-row"][data-key="creator-approved"][data-scope="org"]');
    await own.waitFor();
    expect(await textOf(own)).toContain('{{orgName}}');
    await expect.poll(() => textOf(builtIn), UI).toContain('overridden');
    await screenshot(page, 'creator-admin-templates');
    await page.close();
  });

  it('a viewer applies: field errors inline, then a pending application', async () => {
    screenshotOnFailure('apply');
    const page = await open();
    viewerPage = page;
    page.on('request', (request) => {
      if (request.url().includes('/trpc/auth.login')) viewerLogins += 1;
    });

    // Signed in through the form, once: the rest of this file never signs the viewer in again.
    await page.goto('/sign-in');
    await page.getByLabel('Email', { exact: true }).fill(VIEWER.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(atHome);
    expect(viewerLogins).toBe(1);
    // Marks this document: a reload or a full navigation would lose it.
    await page.evaluate(() => Reflect.set(window, 'atriumE2eNoReload', true));

    // A viewer has no Review area, and Creator offers the application only.
    await expect.poll(() => nav(page).getByRole('link').allTextContents(), UI).not.toContain('Review');
    await nav(page).getByRole('link', { name: 'Creator' }).click();
    await page.waitForURL('**/creator');
    const sections = page.getByRole('navigation', { name: 'Creator sections' });
    // The Creator area is a lazily loaded chunk: wait for it to render before reading it.
    await expect.poll(() => sections.getByRole('link').allTextContents(), UI).toEqual(['Application']);

    // The API checks every field; its messages show next to the inputs.
    await page.getByLabel('Experience', { exact: true }).fill('Short');
    await page.getByLabel('Portfolio URL', { exact: true }).fill('portfolio.example');
    await page.getByRole('button', { name: 'Submit application' }).click();
    await expect
      .poll(() => page.getByLabel('Experience', { exact: true }).getAttribute('aria-invalid'), UI)
      .toBe('true');
    expect(await page.getByLabel('Motivation', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Portfolio URL', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(
      await textOf(page.locator('.field', { has: page.getByLabel('Experience', { exact: true }) })),
    ).toContain('At least 10 characters');
    // Every message sits next to its input: no banner repeats them, and the first field has the focus.
    expect(await page.getByTestId('error-message').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('experience');

    await page
      .getByLabel('Experience', { exact: true })
      .fill('Three years filming and editing short documentaries for a city magazine.');
    await page.getByLabel('Portfolio URL', { exact: true }).fill('https://portfolio.example.test/vera');
    await page
      .getByLabel('Motivation', { exact: true })
      .fill('I would like to publish a monthly series about the people who work in this building.');
    await page.getByRole('button', { name: 'Add a social link' }).click();
    await page.getByLabel('Platform 1', { exact: true }).fill('YouTube');
    await page.getByLabel('Link 1', { exact: true }).fill('https://youtube.example.test/@vera');
    await page.getByLabel('Additional information', { exact: true }).fill('Available on weekday evenings.');
    await page.getByRole('button', { name: 'Submit application' }).click();

    await page.getByTestId('result-notice').waitFor();
    expect(await page.getByTestId('application-status').getAttribute('data-status')).toBe('pending');
    // Nothing to apply for while the application is open; withdrawing is offered instead.
    expect(await page.getByRole('button', { name: 'Submit application' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Withdraw application' }).count()).toBe(1);
    await screenshot(page, 'creator-pending');
  });

  it('an editor approves in another browser; the viewer sees it live and opens My content', async () => {
    screenshotOnFailure('approve');
    const page = viewerPage;
    // The viewer's live stream is open and nothing is unread yet.
    await waitLive(page);
    expect(await badgeCount(page)).toBe(0);
    expect(await bellButton(page).getAttribute('aria-label')).toBe('Notifications, none unread');

    // Another browser context: the editor, a holder of creators.review.
    const editor = await open();
    await signInWithApi(editor, { email: EDITOR.email, password: PASSWORD });
    await editor.goto('/');
    await nav(editor).getByRole('link', { name: 'Review' }).click();
    await editor
      .getByRole('navigation', { name: 'Review sections' })
      .getByRole('link', { name: 'Creator applications' })
      .click();
    await editor.waitForURL('**/review/applications');
    // Reviewers were told in-app when Vera applied.
    await expect.poll(() => badgeCount(editor), PIPELINE).toBe(1);
    const row = editor.locator(`[data-testid="pending-application"][data-email="${VIEWER.email}"]`);
    await row.waitFor();
    await row.getByRole('link', { name: `Review the application of ${VIEWER.name}` }).click();
    await editor.waitForURL('**/review/applications/*');
    const application = editor.getByTestId('review-application');
    await application.waitFor();
    expect(await textOf(editor.locator('main'))).toContain('a monthly series about the people');
    expect(await textOf(editor.locator('main'))).toContain('https://youtube.example.test/@vera');

    // Rejecting needs a reason: an empty one is refused inline, and nothing changes.
    await editor.getByRole('button', { name: 'Reject…' }).click();
    const reject = editor.getByRole('dialog', { name: `Reject the application of ${VIEWER.name}?` });
    await reject.getByRole('button', { name: 'Reject application' }).click();
    await expect
      .poll(() => reject.getByLabel('Reason', { exact: true }).getAttribute('aria-invalid'), UI)
      .toBe('true');
    await reject.getByRole('button', { name: 'Decide later' }).click();
    expect(await editor.getByTestId('application-status').getAttribute('data-status')).toBe('pending');

    await editor.getByRole('button', { name: 'Approve…' }).click();
    const approve = editor.getByRole('dialog', { name: `Approve the application of ${VIEWER.name}?` });
    await approve
      .getByLabel('Notes', { exact: true })
      .fill('Strong portfolio; start with the building series.');
    await approve.getByRole('button', { name: 'Approve application' }).click();
    await editor.getByTestId('result-notice').waitFor();
    expect(await textOf(editor.getByTestId('result-notice'))).toContain(
      `Approved the application of ${VIEWER.name}`,
    );
    expect(await editor.getByTestId('application-status').getAttribute('data-status')).toBe('approved');
    expect(await textOf(application)).toContain('Strong portfolio');
    await screenshot(editor, 'creator-approved-by-editor');

    // The viewer's tab, untouched since: the badge counts the notice, which also pops up…
    await expect.poll(() => badgeCount(page), PIPELINE).toBe(1);
    expect(await bellButton(page).getAttribute('aria-label')).toBe('Notifications, 1 unread');
    const toast = page.getByTestId('notification-toast');
    await toast.first().waitFor();
    expect(await textOf(toast.first())).toContain(APPROVED_SUBJECT);
    // Its next steps point at a page that exists (there is no Content area yet), with its address.
    expect(await textOf(toast.first())).toContain(
      `Creator → My content (${stack.web().url}/creator/content)`,
    );
    // …the status turns to approved, and the creator role arrives without signing in again.
    await expect
      .poll(() => page.getByTestId('application-status').getAttribute('data-status'), UI)
      .toBe('approved');
    const sections = page.getByRole('navigation', { name: 'Creator sections' });
    await expect
      .poll(() => sections.getByRole('link').allTextContents(), PIPELINE)
      .toEqual(['Application', 'My content']);
    await screenshot(page, 'creator-approved-live');
    await sections.getByRole('link', { name: 'My content' }).click();
    await page.waitForURL('**/creator/content');
    await page.getByTestId('my-content-empty').waitFor();
    expect(await page.getByRole('heading', { name: 'Not allowed' }).count()).toBe(0);
    await screenshot(page, 'creator-my-content');

    // Same document, same sign-in: no reload, no second auth.login.
    expect(await isMarked(page)).toBe(true);
    expect(viewerLogins).toBe(1);

    // The approval email went out through the worker's SMTP.
    await expect
      .poll(
        () =>
          stack
            .catcher()
            .messages()
            .filter((message) => message.to.includes(VIEWER.email))
            .map((message) => message.subject),
        PIPELINE,
      )
      .toContain('Content Creator Application Approved');

    // The decision stays on record in the review history, with who made it.
    await editor
      .getByRole('navigation', { name: 'Review sections' })
      .getByRole('link', { name: 'Decided' })
      .click();
    await editor.waitForURL('**/review/decided');
    const decided = editor.locator(`[data-testid="decided-application"][data-email="${VIEWER.email}"]`);
    await decided.waitFor();
    expect(await decided.getByTestId('application-status').getAttribute('data-status')).toBe('approved');
    expect(await textOf(decided)).toContain(EDITOR.name);
    await screenshot(editor, 'review-decided');
    // Opened from the history, the application leads back to it.
    await decided.getByRole('link', { name: `Open the application of ${VIEWER.name}` }).click();
    await editor.waitForURL('**/review/applications/*');
    await editor.getByRole('link', { name: '← Back to the decided applications' }).click();
    await editor.waitForURL('**/review/decided');
    await editor.getByLabel('Outcome', { exact: true }).selectOption('rejected');
    await editor.getByTestId('decided-empty').waitFor();
    expect(await textOf(editor.getByTestId('decided-empty'))).toContain('No application was rejected yet.');
    await editor.close();
  });

  it('the viewer reads the notice in the inbox and marks everything read', async () => {
    screenshotOnFailure('inbox');
    const page = viewerPage;
    await bellButton(page).click();
    const panel = bell(page).locator('.bell__panel');
    await expect.poll(() => textOf(panel), UI).toContain(APPROVED_SUBJECT);
    await panel.getByRole('link', { name: 'All notifications' }).click();
    await page.waitForURL('**/notifications');
    const item = page.getByTestId('inbox-item').first();
    await item.waitFor();
    expect(await textOf(item)).toContain('your application');
    expect(await item.getAttribute('data-read')).toBe('false');
    // A second tab of the same browser (signed in by its refresh cookie) shows the same unread count.
    const otherTab = await page.context().newPage();
    await otherTab.goto('/');
    await waitLive(otherTab);
    await expect.poll(() => badgeCount(otherTab), UI).toBe(1);

    await page.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByTestId('result-notice').waitFor();
    expect(await textOf(page.getByTestId('result-notice'))).toContain('Marked 1 notification read');
    await expect.poll(() => item.getAttribute('data-read'), UI).toBe('true');
    await expect.poll(() => badgeCount(page), UI).toBe(0);
    // The other tab hears `notification.read` and clears its badge without a reload.
    await expect.poll(() => badgeCount(otherTab), UI).toBe(0);
    await otherTab.close();
    expect(await isMarked(page)).toBe(true);
  });

  it('an admin sends a notification: the member gets it live; a scheduled one is cancelled', async () => {
    screenshotOnFailure('send');
    const admin = await open();
    await signInWithApi(admin, { email: ADMIN.email, password: PASSWORD });
    await admin.goto('/admin/notifications/send');

    // In-app, written by hand, with a variable.
    await admin.getByLabel('Find a member', { exact: true }).fill('Vera');
    await expect
      .poll(() => admin.getByLabel('Member', { exact: true }).locator('option').allTextContents(), UI)
      .toContain(`${VIEWER.name} (${VIEWER.email})`);
    await admin
      .getByLabel('Member', { exact: true })
      .selectOption({ label: `${VIEWER.name} (${VIEWER.email})` });
    await admin.getByLabel('Write subject and body').check();
    await admin.getByLabel('Subject', { exact: true }).fill('Studio booking confirmed');
    await admin.getByLabel('Body', { exact: true }).fill('Your slot is {{slot}}.');
    await admin.getByRole('button', { name: 'Add a variable' }).click();
    await admin.getByLabel('Name 1', { exact: true }).fill('slot');
    // Left empty: the preview marks the gap and sending is refused next to the variables.
    const preview = admin.getByTestId('send-preview');
    expect(await textOf(preview.getByTestId('preview-body'))).toBe('Your slot is slot missing.');
    await admin.getByRole('button', { name: 'Send notification' }).click();
    await expect.poll(() => textOf(admin.locator('.field--invalid')), UI).toContain('slot: Fill in a value');
    expect(await admin.getByTestId('result-notice').count()).toBe(0);
    await admin.getByLabel('Value 1', { exact: true }).fill('Friday 10:00');
    expect(await textOf(preview.getByTestId('preview-subject'))).toBe('Studio booking confirmed');
    expect(await textOf(preview.getByTestId('preview-body'))).toBe('Your slot is Friday 10:00.');
    await screenshot(admin, 'creator-admin-send');
    await admin.getByRole('button', { name: 'Send notification' }).click();
    await admin.getByTestId('result-notice').waitFor();
    expect(await textOf(admin.getByTestId('result-notice'))).toContain('Studio booking confirmed');

    // The member's tab gets it live.
    await expect.poll(() => badgeCount(viewerPage), PIPELINE).toBe(1);
    await expect
      .poll(() => textOf(viewerPage.getByTestId('inbox-item').first()), UI)
      .toContain('Your slot is Friday 10:00.');

    // Its delivery, attempt by attempt.
    await admin.getByRole('link', { name: 'Follow its delivery' }).click();
    await admin.waitForURL(/\/admin\/notifications\/[0-9a-f-]{36}$/);
    const detail = admin.getByTestId('notification-detail');
    await expect
      .poll(() => detail.locator('[data-status]').getAttribute('data-status'), PIPELINE)
      .toBe('sent');
    await expect
      .poll(() => admin.getByTestId('notification-attempt').allTextContents(), UI)
      .toEqual([expect.stringContaining('delivered')]);
    expect(await admin.getByRole('button', { name: 'Cancel notification' }).count()).toBe(0);

    // An email scheduled for tomorrow: listed as scheduled, cancelled after a confirmation.
    await admin
      .getByRole('navigation', { name: 'Notifications sections' })
      .getByRole('link', { name: 'Send' })
      .click();
    await admin.getByLabel('Channel', { exact: true }).selectOption('email');
    // Atrium's own emails (sign-up, passwords, invitations) are not offered.
    const templateOptions = admin.getByLabel('Template', { exact: true }).locator('option');
    await expect.poll(() => templateOptions.allTextContents(), UI).toContain('creator-approved');
    const templateKeys = await templateOptions.allTextContents();
    expect(templateKeys).not.toContain('invitation');
    expect(templateKeys).not.toContain('password-reset');
    await admin.getByLabel('An email address').check();
    await admin.getByLabel('Write subject and body').check();
    await admin.getByLabel('Subject', { exact: true }).fill('See you tomorrow');
    await admin.getByLabel('Body', { exact: true }).fill('The studio opens at nine.');
    const tomorrow = new Date(Date.now() + 24 * 3600_000);
    await admin.getByLabel('Send at', { exact: true }).fill(tomorrow.toISOString().slice(0, 16));
    // The org's notifications go to its members: another address is refused, next to the field.
    await admin.getByLabel('Email address', { exact: true }).fill('guest@elsewhere.example');
    await admin.getByRole('button', { name: 'Schedule notification' }).click();
    const refused = admin.getByTestId('error-message');
    await refused.waitFor();
    expect(await refused.getAttribute('data-code')).toBe('UNPROCESSABLE');
    expect(await textOf(refused)).toContain('members of your organisation');
    expect(await textOf(admin.locator('.field--invalid'))).toContain('Not a member of your organisation');
    await screenshot(admin, 'creator-admin-send-refused');
    // Variables Atrium fills in are refused before anything is sent.
    await admin.getByRole('button', { name: 'Add a variable' }).click();
    await admin.getByLabel('Name 1', { exact: true }).fill('orgName');
    await admin.getByLabel('Value 1', { exact: true }).fill('Not Creator E2E');
    await admin.getByRole('button', { name: 'Schedule notification' }).click();
    await admin.getByText('“orgName” is filled in by Atrium').waitFor();
    await admin.getByRole('button', { name: 'Remove variable 1' }).click();
    // A member's address is fine.
    await admin.getByLabel('Email address', { exact: true }).fill(EDITOR.email);
    await admin.getByRole('button', { name: 'Schedule notification' }).click();
    await admin.getByTestId('result-notice').waitFor();
    expect(await textOf(admin.getByTestId('result-notice'))).toContain('Scheduled');

    await admin
      .getByRole('navigation', { name: 'Notifications sections' })
      .getByRole('link', { name: 'Messages' })
      .click();
    await admin.getByLabel('Status', { exact: true }).selectOption('scheduled');
    const scheduled = admin.locator('[data-testid="notification-row"][data-status="scheduled"]');
    await expect.poll(() => scheduled.count(), UI).toBe(1);
    expect(await textOf(scheduled)).toContain(EDITOR.email);
    await scheduled.getByRole('link').click();
    await admin.getByRole('button', { name: 'Cancel notification' }).click();
    const cancelDialog = admin.getByRole('dialog', { name: 'Cancel this notification?' });
    // The buttons say what they do: keep it, or cancel it.
    expect(await cancelDialog.getByRole('button').allTextContents()).toEqual([
      'Keep notification',
      'Cancel notification',
    ]);
    await cancelDialog.getByRole('button', { name: 'Cancel notification' }).click();
    await admin.getByTestId('result-notice').waitFor();
    expect(await textOf(admin.getByTestId('result-notice'))).toContain('cancelled');
    expect(
      await admin.getByTestId('notification-detail').locator('[data-status]').getAttribute('data-status'),
    ).toBe('cancelled');
    await screenshot(admin, 'creator-admin-notification-cancelled');
    expect(await isMarked(viewerPage)).toBe(true);
  });
});
