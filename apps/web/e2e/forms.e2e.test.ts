import { createTestOrg, createTestUser, uniqueEmail } from '@atrium/testkit/factories';
import type { Locator, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeInBrowser, useE2eStack } from './harness.ts';
import { signInWithApi } from './session.ts';

/**
 * For UI updates that follow an API answer (expect.poll's own default is one second). Generous: on a
 * loaded CI machine the second sign-up's answer once arrived after more than 10 s.
 */
const UI = { timeout: 20_000 };

/** zod's own wording, which no person should read. */
const ZOD_JARGON = /Too small|Too big|Invalid input|Invalid option|expected \w+|received \w+|>=|<=/;

/** The one message under a labelled input (its `.field`'s error line), or null. */
async function messageOf(page: Page, label: string): Promise<string | null> {
  const field = page.locator('.field', { has: page.getByLabel(label, { exact: true }) }).last();
  const error = field.locator('.field__error');
  return (await error.count()) > 0 ? error.textContent() : null;
}

/** The name of the focused input (`document.activeElement`), or null when focus is elsewhere. */
async function focusedName(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('name') ?? null);
}

async function formText(form: Locator): Promise<string> {
  return (await form.textContent()) ?? '';
}

/**
 * Failed submits read in human words, one message under each field, no banner repeating them, and
 * the focus on the first field to fix — whether the form's own check or the API found the problem.
 */
describeInBrowser('forms: human field errors and focus on the first invalid field', () => {
  const stack = useE2eStack({ name: 'forms' });

  it('sign-up: the API’s field errors under their inputs, the focus on the first', async () => {
    stack.screenshotOnFailure('forms-signup');
    const page = await stack.open();
    await page.goto('/sign-up');
    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();

    await expect.poll(() => messageOf(page, 'Organisation name'), UI).toBe('This field is required');
    expect(await messageOf(page, 'Your name')).toBe('Enter your name');
    expect(await messageOf(page, 'Email')).toBe('Enter a valid email address');
    expect(await page.getByLabel('Organisation name', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    // The first invalid input in page order has the focus.
    expect(await focusedName(page)).toBe('orgName');
    // Every problem is shown next to its field: no banner, no raw text, no internal names.
    expect(await page.getByTestId('error-message').count()).toBe(0);
    const form = page.locator('form');
    expect(await formText(form)).not.toMatch(ZOD_JARGON);
    expect(await formText(form)).not.toMatch(/orgName|orgSlug|VALIDATION_ERROR/);

    // Fix the first: the focus follows to the next field the API still refuses.
    await page.getByLabel('Organisation name', { exact: true }).fill('Forms Test Org');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => messageOf(page, 'Organisation name'), UI).toBeNull();
    await expect.poll(() => focusedName(page), UI).toBe('name');
  });

  it('change password: the form’s own check, then the API’s, each focusing its field', async () => {
    stack.screenshotOnFailure('forms-change-password');
    const org = await createTestOrg(stack.database.db, { name: 'Forms E2E' });
    const user = await createTestUser(stack.database.db, {
      orgId: org.id,
      email: uniqueEmail('forms'),
      name: 'Fay Forms',
      roles: ['viewer'],
    });
    const page = await stack.open();
    await signInWithApi(page, user);
    await page.goto('/profile');
    const form = page.getByRole('form', { name: 'Change password' });
    await form.waitFor();

    // The two new entries differ: the form says so itself and focuses the repeat, nothing is sent.
    await form.getByLabel('New password', { exact: true }).fill('first attempt 123');
    await form.getByLabel('Repeat the new password', { exact: true }).fill('second attempt 123');
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => messageOf(page, 'Repeat the new password'), UI)
      .toBe('The two passwords are not the same');
    expect(await focusedName(page)).toBe('confirmation');

    // They agree now, but the current password is missing: the API's word, focus on that field.
    await form.getByLabel('Repeat the new password', { exact: true }).fill('first attempt 123');
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => messageOf(page, 'Current password'), UI).toBe('This field is required');
    expect(await messageOf(page, 'Repeat the new password')).toBeNull();
    await expect.poll(() => focusedName(page), UI).toBe('current');
    expect(await form.getByTestId('error-message').count()).toBe(0);
    expect(await formText(form)).not.toMatch(ZOD_JARGON);
  });
});
