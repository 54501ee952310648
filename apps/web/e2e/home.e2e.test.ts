import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { atHome, callProcedure, signInWithApi } from './session.ts';

const PASSWORD = 'lantern meadow orbit 57';
const ADMIN = { name: 'Alma Admin', email: 'alma@home-e2e.example', roles: ['admin'] };
const CREATOR = { name: 'Cleo Creator', email: 'cleo@home-e2e.example', roles: ['viewer', 'creator'] };
const EDITOR = { name: 'Eddie Editor', email: 'eddie@home-e2e.example', roles: ['editor'] };
const VIEWER = { name: 'Vera Viewer', email: 'vera@home-e2e.example', roles: ['viewer'] };
const OPERATOR = {
  name: 'Otto Operator',
  email: 'otto@home-e2e.example',
  roles: ['viewer'],
  platformRole: 'operator' as const,
};
const UI = { timeout: 10_000 };

async function signInThroughTheForm(page: Page, email: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(atHome);
  await expect.poll(() => page.title(), UI).toBe('Home · Atrium');
}

describeInBrowser('home: what each person sees first after signing in', () => {
  const stack = useE2eStack({ name: 'home' });

  beforeAll(async () => {
    // The admin's organisation is brand new: nobody else, nothing set up yet.
    const fresh = await createTestOrg(stack.database.db, { name: 'Fresh Start' });
    await createTestUser(stack.database.db, { orgId: fresh.id, ...ADMIN, password: PASSWORD });
    const org = await createTestOrg(stack.database.db, { name: 'Home E2E' });
    for (const member of [CREATOR, EDITOR, VIEWER, OPERATOR]) {
      await createTestUser(stack.database.db, { orgId: org.id, ...member, password: PASSWORD });
    }
  });

  it('a new org admin lands on Home with next steps; creating an API key marks that step done', async () => {
    stack.screenshotOnFailure('home-admin');
    const page = await stack.open();
    await signInThroughTheForm(page, ADMIN.email);

    const setup = page.getByTestId('home-setup');
    await setup.waitFor(UI);
    expect(await page.getByTestId('home-setup-progress').textContent()).toBe('0 of 5 steps done.');
    for (const step of ['invite-members', 'workplace-connection', 'notification-template', 'alert-rule']) {
      expect(await page.getByTestId(`setup-step-${step}`).getAttribute('data-done'), step).toBe('false');
    }
    const apiKeyStep = page.getByTestId('setup-step-api-key');
    expect(await apiKeyStep.getAttribute('data-done')).toBe('false');
    expect(await page.getByTestId('home-signup').textContent()).toContain('invitation only');
    await screenshot(page, 'home-admin-new');

    // The step's own link leads to the page that does it.
    await apiKeyStep.getByRole('link', { name: 'Create an API key' }).click();
    await page.waitForURL('**/admin/api-keys');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Shipping service');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await page.getByTestId('new-api-key').waitFor(UI);
    await dialog.getByRole('button', { name: 'Done' }).click();

    // Back Home: that step is done, the others are not.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
    await page.waitForURL(atHome);
    await expect.poll(() => apiKeyStep.getAttribute('data-done'), UI).toBe('true');
    expect(await apiKeyStep.textContent()).toContain('1 API key is in use.');
    expect(await page.getByTestId('home-setup-progress').textContent()).toBe('1 of 5 steps done.');
    expect(await page.getByTestId('setup-step-alert-rule').getAttribute('data-done')).toBe('false');
    await screenshot(page, 'home-admin-one-done');
  });

  it('a creator lands on their Home: their content by state, and no set-up steps', async () => {
    stack.screenshotOnFailure('home-creator');
    const page = await stack.open();
    const { accessToken } = await signInWithApi(page, { email: CREATOR.email, password: PASSWORD });
    await callProcedure(
      page.context().request,
      'content.create',
      {
        title: 'Tide tables, a short film',
        language: 'en',
        media: { mediaType: 'video', externalUrl: 'https://www.youtube.com/watch?v=homeE2e0001' },
      },
      { accessToken },
    );
    // Signing in lands the creator on Home.
    const home = await stack.open();
    await signInThroughTheForm(home, CREATOR.email);
    const creator = home.getByTestId('home-creator');
    await creator.waitFor(UI);
    expect(await creator.getByRole('heading').textContent()).toBe('Your content');
    await expect.poll(() => home.getByTestId('home-content-drafts').textContent(), UI).toContain('1');
    expect(await home.getByTestId('home-content-published').textContent()).toContain('0');
    expect(await home.getByTestId('home-setup').count()).toBe(0);
    expect(await home.getByTestId('home-review').count()).toBe(0);
    await creator.getByRole('link', { name: 'Manage your content' }).click();
    await home.waitForURL('**/creator/content');
    await screenshot(home, 'home-creator');
  });

  it('a reviewer sees what waits for them; a viewer gets the Library first and their application', async () => {
    stack.screenshotOnFailure('home-reviewer');
    const viewer = await stack.open();
    const { accessToken } = await signInWithApi(viewer, { email: VIEWER.email, password: PASSWORD });
    await callProcedure(
      viewer.context().request,
      'creators.submitApplication',
      { experience: 'Ten years of radio features.', motivation: 'I want to publish my documentaries.' },
      { accessToken },
    );
    await viewer.goto('/');
    await viewer.getByTestId('home-library').waitFor(UI);
    // The Library is the first panel for someone whose work here is reading.
    expect(await viewer.locator('.home-grid > section').first().getAttribute('data-testid')).toBe(
      'home-library',
    );
    expect(await viewer.getByTestId('home-application').getAttribute('data-status')).toBe('pending');
    expect(await viewer.getByTestId('home-setup').count()).toBe(0);

    const editor = await stack.open();
    await signInWithApi(editor, { email: EDITOR.email, password: PASSWORD });
    await editor.goto('/');
    const applications = editor.getByTestId('home-review-applications');
    await applications.waitFor(UI);
    expect(await applications.getAttribute('data-count')).toBe('1');
    expect(await applications.textContent()).toContain('1 creator application to decide');
    // The creator's draft from the test before waits to be published.
    expect(await editor.getByTestId('home-review-drafts').getAttribute('data-count')).toBe('1');
    await applications.getByRole('link').click();
    await editor.waitForURL('**/review/applications');
  });

  it('a platform operator sees whether the platform is healthy, and the way to Ops', async () => {
    stack.screenshotOnFailure('home-operator');
    const page = await stack.open();
    await signInWithApi(page, { email: OPERATOR.email, password: PASSWORD });
    await page.goto('/');
    const platform = page.getByTestId('home-platform');
    await platform.waitFor(UI);
    await expect
      .poll(() => page.getByTestId('home-platform-status').getAttribute('data-status'), UI)
      .toMatch(/^(ok|degraded)$/);
    await expect
      .poll(() => page.getByTestId('home-platform-failures').textContent(), UI)
      .toContain('failed in the last hour');
    await screenshot(page, 'home-operator');
    await platform.getByRole('link', { name: 'Open the Ops console' }).click();
    await page.waitForURL('**/ops**');
  });
});
