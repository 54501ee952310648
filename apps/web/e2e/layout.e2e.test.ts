import type { Database } from '@atrium/db';
import { createTestOrg, createTestUser, uniqueEmail } from '@atrium/testkit/factories';
import type { Kysely } from 'kysely';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, useE2eStack } from './harness.ts';
import { callProcedure, type SignedInAccount, signInWithApi } from './session.ts';

const LAPTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };

async function createOperatorAdmin(db: Kysely<Database>) {
  const org = await createTestOrg(db, { name: 'Layout E2E' });
  return createTestUser(db, {
    orgId: org.id,
    email: uniqueEmail('layout'),
    name: 'Lena Layout',
    roles: ['admin'],
    platformRole: 'operator',
  });
}

/** How far an element reaches past the viewport's left and right edges (0 when it fits). */
async function overflowOf(page: Page, selector: string): Promise<{ left: number; right: number }> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => {
      const box = element.getBoundingClientRect();
      return {
        left: Math.max(0, -Math.round(box.left)),
        right: Math.max(0, Math.round(box.right - document.documentElement.clientWidth)),
      };
    });
}

/** Whether a container's content is wider than the container (something is cut off or scrolls). */
async function scrollsSideways(page: Page, selector: string): Promise<boolean> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => element.scrollWidth > element.clientWidth + 1);
}

/**
 * What a person sees at a laptop's 1366 px and a phone's 390 px: nothing cut off at either edge, no
 * column pushed out of sight.
 */
describeInBrowser('layout at 1366 px and 390 px', () => {
  const stack = useE2eStack({ name: 'layout' });
  let account: { email: string; password: string };
  let session: SignedInAccount;

  beforeAll(async () => {
    account = await createOperatorAdmin(stack.database.db);
    const page = await stack.open({ viewport: LAPTOP });
    session = await signInWithApi(page, account);
    const schedule = await callProcedure<{ id: string }>(
      page.context().request,
      'scheduler.create',
      {
        name: 'nightly-audit-integrity-report',
        handler: 'audit.integrity-report',
        kind: 'cron',
        cronExpr: '30 2 * * *',
        timezone: 'Europe/Berlin',
      },
      { accessToken: session.accessToken },
    );
    // Its last run failed with a long error, the way a real failure reads.
    const at = new Date(Date.now() - 60_000);
    await stack.database.db
      .insertInto('schedule_runs')
      .values({
        schedule_id: schedule.id,
        scheduled_for: at,
        attempt: 1,
        node_id: 'replica-a:4242',
        fencing_token: 1,
        started_at: at,
        finished_at: new Date(at.getTime() + 1_500),
        status: 'failed',
        error:
          'connect ECONNREFUSED 10.0.12.7:5432 while reading the audit chain of organisation 6f1d2c3b-aaaa-bbbb-cccc-1234567890ab (the database did not answer within 30000 ms)',
      })
      .execute();
    await stack.database.db
      .updateTable('schedules')
      .set({ last_run_at: at, consecutive_failures: 1 })
      .where('id', '=', schedule.id)
      .execute();
  });

  it('the audit filter bar fits a 1366 px screen', async () => {
    stack.screenshotOnFailure('layout-audit');
    const page = await stack.open({ viewport: LAPTOP });
    await signInWithApi(page, account);
    await page.goto('/admin/audit');
    await page.getByRole('form', { name: 'Filter audit entries' }).waitFor();
    expect(await overflowOf(page, 'form.filters')).toEqual({ left: 0, right: 0 });
    expect(await scrollsSideways(page, 'form.filters')).toBe(false);
    expect(await scrollsSideways(page, 'main')).toBe(false);
  });

  it('the schedules table shows its "failures in a row" column at 1366 px', async () => {
    stack.screenshotOnFailure('layout-schedules');
    const page = await stack.open({ viewport: LAPTOP });
    await signInWithApi(page, account);
    await page.goto('/ops/schedules');
    const header = page.getByRole('columnheader', { name: /failures in a row/i });
    await header.waitFor();
    expect(await overflowOf(page, 'table >> th:has-text("in a row")')).toEqual({ left: 0, right: 0 });
    expect(await scrollsSideways(page, '.table-scroll')).toBe(false);
  });

  it('the notification popover stays on a 390 px screen', async () => {
    stack.screenshotOnFailure('layout-bell');
    const page = await stack.open({ viewport: PHONE });
    await signInWithApi(page, account);
    await page.goto('/notifications');
    await page.getByRole('button', { name: /^Notifications/ }).click();
    const panel = page.locator('.bell__panel');
    await panel.waitFor();
    expect(await overflowOf(page, '.bell__panel')).toEqual({ left: 0, right: 0 });
  });
});
