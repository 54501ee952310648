import { createTestOrg, createTestUser, uniqueEmail } from '@atrium/testkit/factories';
import { expect, it } from 'vitest';
import { describeInBrowser, useE2eStack } from './harness.ts';
import { callProcedure, signInWithApi } from './session.ts';

/**
 * A reviewer who applied to be a creator is told up front that someone else must decide their
 * application — and, when nobody else may review, what to do about it — instead of being offered
 * Approve and Reject and refused after confirming.
 */
describeInBrowser('review: a reviewer looking at their own application', () => {
  const stack = useE2eStack({ name: 'review-own' });

  it('says someone else must decide it, and when nobody else can, how to fix that', async () => {
    stack.screenshotOnFailure('review-own');
    const org = await createTestOrg(stack.database.db, { name: 'Solo Studio' });
    const admin = await createTestUser(stack.database.db, {
      orgId: org.id,
      email: uniqueEmail('solo-admin'),
      name: 'Sam Solo',
      roles: ['admin'],
    });
    const page = await stack.open();
    const session = await signInWithApi(page, admin);
    const application = await callProcedure<{ id: string }>(
      page.context().request,
      'creators.submitApplication',
      {
        experience: 'Ten years of radio documentaries.',
        motivation: 'I want to publish my back catalogue here.',
      },
      { accessToken: session.accessToken },
    );

    await page.goto(`/review/applications/${application.id}`);
    const notice = page.getByTestId('own-application');
    await notice.waitFor();
    expect(await notice.textContent()).toContain(
      'This is your own application: another reviewer must decide it.',
    );
    expect(await notice.textContent()).toContain(
      'Nobody else in your organisation may review applications yet',
    );
    expect(await page.getByRole('button', { name: 'Approve…' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject…' }).count()).toBe(0);

    // Once an editor joins, the page says who is left to decide.
    await createTestUser(stack.database.db, {
      orgId: org.id,
      email: uniqueEmail('editor'),
      name: 'Eddie Editor',
      roles: ['editor'],
    });
    await page.reload();
    await notice.waitFor();
    expect(await notice.textContent()).toContain('1 other person in your organisation may review it.');
  });
});
