import { type RunningAimsSimulator, startAimsSimulator } from '@atrium/aims-simulator';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, sessionOf } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AimsError } from '../../src/aims/errors.ts';
import { isAppError } from '../../src/errors.ts';
import { configureAimsConnection, createAimsClients } from '../../src/workplace/connection.ts';
import { createSpace } from '../../src/workplace/spaces.ts';
import { runArticleSyncJob, SYNC_ATTEMPTS } from '../../src/workplace/sync.ts';

/**
 * The attempt budget of one sync job (SPEC §9: 5 for spaces, 10 for assignments and rooms): a
 * transient failure before the last attempt leaves the row pending with the error and rethrows (pg-boss
 * retries); on the last attempt the row fails, WorkplaceSyncFailed is written and the error becomes
 * UNPROCESSABLE, which the job runner dead-letters at once.
 */
describe('sync job budget', () => {
  const t = useTestDatabase();
  let sim: RunningAimsSimulator;
  const aims = createAimsClients({
    retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 2, maxElapsedMs: 2_000, maxRetryAfterMs: 10 },
  });

  beforeAll(async () => {
    sim = await startAimsSimulator({
      companies: [
        { code: 'BUDGET', users: [{ username: 'u@budget', password: 'pw-budget' }], stores: ['S'] },
      ],
    });
  });
  afterAll(() => sim.close());

  it('retries until the budget is spent, then fails the row and dead-letters', async () => {
    const orgId = (await createTestOrg(t.db)).id;
    const session = await sessionOf(t.db, (await createTestUser(t.db, { orgId, roles: ['admin'] })).id);
    await configureAimsConnection({ db: t.db }, session, {
      baseUrl: sim.url,
      company: 'BUDGET',
      store: 'S',
      username: 'u@budget',
      password: 'pw-budget',
    });
    await createSpace({ db: t.db }, session, { externalId: 'Z-1' });
    sim.control.setFaults('BUDGET', { serverErrorRate: 1 });
    const request = { orgId, kind: 'space' as const, externalId: 'Z-1' };
    const row = () =>
      t.db.selectFrom('spaces').selectAll().where('org_id', '=', orgId).executeTakeFirstOrThrow();

    for (let attempt = 1; attempt < SYNC_ATTEMPTS.space; attempt += 1) {
      const error = await runArticleSyncJob({ db: t.db, aims }, request, {
        attempt,
        budget: SYNC_ATTEMPTS.space,
      }).catch((e) => e);
      expect(error).toBeInstanceOf(AimsError);
      expect(await row()).toMatchObject({ sync_status: 'pending' });
      expect((await row()).sync_error).toMatch(/AIMS/);
    }
    const last = await runArticleSyncJob({ db: t.db, aims }, request, {
      attempt: 5,
      budget: SYNC_ATTEMPTS.space,
    }).catch((e) => e);
    expect(isAppError(last) && last.code).toBe('UNPROCESSABLE');
    expect(last.message).toMatch(/gave up after 5 attempts/);
    expect(await row()).toMatchObject({ sync_status: 'failed' });
    const events = await t.db
      .selectFrom('outbox_events')
      .select(['type', 'payload'])
      .where('org_id', '=', orgId)
      .execute();
    expect(events.filter((e) => e.type === 'WorkplaceSyncFailed')).toHaveLength(1);
    expect(SYNC_ATTEMPTS).toEqual({ space: 5, assignment: 10, room: 10 });
  });
});
