import { type RunningAimsSimulator, startAimsSimulator } from '@atrium/aims-simulator';
import { configureAimsConnection } from '@atrium/domain/workplace/connection';
import { createPerson } from '@atrium/domain/workplace/people';
import { createRoom } from '@atrium/domain/workplace/rooms';
import { createSpace } from '@atrium/domain/workplace/spaces';
import { waitFor } from '@atrium/testkit';
import { createTestOrg, createTestUser, sessionOf, uniqueEmail } from '@atrium/testkit/factories';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, useE2eStack } from './harness.ts';
import { signInWithApi } from './session.ts';

const COMPANY = 'E2EWP';
const STORE = 'HQ';

describeInBrowser('workplace: built app, real API, worker and the AIMS simulator, Chromium', () => {
  const stack = useE2eStack({ name: 'workplace', worker: true });
  const { screenshotOnFailure } = stack;
  let page: Page;
  let sim: RunningAimsSimulator;

  beforeAll(async () => {
    sim = await startAimsSimulator({
      companies: [
        {
          code: COMPANY,
          users: [{ username: 'sync@e2e.example', password: 'e2e-aims-pw' }],
          stores: [STORE],
        },
      ],
    });
    const db = stack.database.db;
    const org = await createTestOrg(db, { name: 'Workplace E2E' });
    const admin = await createTestUser(db, {
      orgId: org.id,
      email: uniqueEmail('wp-admin'),
      name: 'Wanda Admin',
      roles: ['admin'],
    });
    const session = await sessionOf(db, admin.id);
    await configureAimsConnection({ db }, session, {
      baseUrl: sim.url,
      company: COMPANY,
      store: STORE,
      username: 'sync@e2e.example',
      password: 'e2e-aims-pw',
    });
    await createSpace({ db }, session, {
      externalId: 'DESK-1',
      labelCode: 'ABCDEF000001',
      data: { name: 'Desk 1' },
    });
    await createPerson({ db }, session, { data: { name: 'Ada Lovelace' } });
    await createRoom({ db }, session, {
      externalId: 'BOARD',
      roomName: 'Boardroom',
      labelCode: 'ABCDEF000002',
    });
    page = await stack.open();
    await signInWithApi(page, admin);
  });
  afterAll(() => sim?.close());

  it('an admin assigns a person, toggles a meeting and runs a full sync, watching each land', async () => {
    screenshotOnFailure('workplace');
    await page.goto('/workplace/people');
    await page
      .getByTestId('person-row')
      .filter({ hasText: 'Ada Lovelace' })
      .getByRole('button', { name: 'Assign' })
      .click();
    await page.getByLabel('Free space').selectOption({ label: 'DESK-1 — Desk 1' });
    await page.getByRole('dialog').getByRole('button', { name: 'Assign' }).click();
    await expect.poll(() => page.getByTestId('person-row').first().textContent()).toContain('DESK-1');

    await page.goto('/workplace/spaces');
    const badge = page.locator('[data-external-id="DESK-1"] [data-testid="sync-badge"]');
    await badge.and(page.locator('[data-status="synced"]')).waitFor({ timeout: 20_000 });
    expect(
      sim.control.labels(COMPANY, STORE).find((l) => l.labelCode === 'ABCDEF000001')?.articles[0],
    ).toMatchObject({
      articleName: 'Ada Lovelace',
    });

    await page.goto('/workplace/rooms');
    await page.getByTestId('room-row').getByRole('button', { name: 'Start meeting' }).click();
    await page.getByRole('textbox', { name: 'Meeting', exact: true }).fill('Quarterly review');
    await page.getByLabel('Starts').fill('14:00');
    await page.getByLabel('Ends').fill('15:30');
    await page.getByLabel('Participants').fill('Ada, Grace');
    await page.getByRole('dialog').getByRole('button', { name: 'Start meeting' }).click();
    await waitFor(
      () => {
        const label = sim.control.labels(COMPANY, STORE).find((l) => l.labelCode === 'ABCDEF000002');
        const article = label?.articles[0];
        return (
          label?.page === 2 && article?.found === true && article.data.MEETING_NAME === 'Quarterly review'
        );
      },
      { what: 'the room label to show the meeting', timeoutMs: 20_000 },
    );
    await page
      .locator('[data-external-id="BOARD"] [data-testid="sync-badge"][data-status="synced"]')
      .waitFor({ timeout: 20_000 });

    await page.goto('/workplace/sync');
    await page.getByRole('button', { name: 'Run a full sync' }).click();
    await page.locator('[data-testid="sync-run"][data-status="succeeded"]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('sync-run').count()).toBe(1);
  });
});
