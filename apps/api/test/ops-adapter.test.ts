import type { OpsQueuePort } from '@atrium/domain/ops/port';
import { createBoss, createPgBossOpsQueues } from '@atrium/jobs';
import { useTestDatabase } from '@atrium/testkit';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The pg-boss adapter of the Ops port (@atrium/jobs ops-adapter.ts) against a real pg-boss: reads,
 * search and paging, org attribution, and actions that commit or roll back with the caller's
 * transaction. (It lives here because @atrium/jobs sits below the test kit in the package graph.)
 */
describe('pg-boss ops adapter', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  let boss: PgBoss;
  let port: OpsQueuePort;
  const ORG_A = '00000000-0000-4000-8000-00000000000a';
  const ORG_B = '00000000-0000-4000-8000-00000000000b';
  const Q = 'adapter.work';
  const DLQ = 'adapter.work.dead-letter';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    boss = createBoss({ connectionString: t.url, poolSize: 3, supervise: false, listen: false });
    await boss.start();
    await boss.createQueue(DLQ, { retryLimit: 0 });
    await boss.createQueue(Q, { retryLimit: 0, deadLetter: DLQ });
    port = createPgBossOpsQueues({ boss });
    const send = async (name: string, data: object) => (await boss.send(Q, data)) ?? name;
    ids.a1 = await send('a1', { orgId: ORG_A, label: 'alpha one', n: 1 });
    ids.a2 = await send('a2', { orgId: ORG_A, label: 'alpha two', n: 2 });
    ids.b1 = await send('b1', { orgId: ORG_B, label: 'beta one_%', n: 3 });
    ids.none = await send('none', { label: 'platform job', n: 4 });
    // a2 fails for good (straight to the dead letter), b1 completes.
    const fetched = await boss.fetch(Q, { batchSize: 10 });
    for (const job of fetched) {
      if (job.id === ids.a2) await boss.fail(Q, job.id, { message: 'nope' });
      else if (job.id === ids.b1) await boss.complete(Q, job.id);
      else await boss.cancel(Q, job.id).then(() => boss.resume(Q, job.id)); // back to waiting
    }
  });
  afterAll(() => boss?.stop({ graceful: false, close: true }));

  it('counts per state, per org, and over a window', async () => {
    const since = new Date(Date.now() - 60_000);
    const [all] = await port.stats({ queues: [Q], since });
    expect(all).toMatchObject({
      queue: Q,
      orgId: null,
      counts: { created: 2, retry: 0, active: 0, completed: 1, cancelled: 0, failed: 1 },
      completed: 1,
      failed: 1,
    });
    expect(all?.oldestWaitingSince).toBeInstanceOf(Date);
    const byOrg = await port.stats({ queues: [Q, DLQ], byOrg: true, since });
    expect(
      byOrg.map((r) => [r.queue, r.orgId, r.counts.created, r.counts.failed, r.counts.completed]).sort(),
    ).toEqual(
      [
        [DLQ, ORG_A, 1, 0, 0],
        [Q, null, 1, 0, 0],
        [Q, ORG_A, 1, 1, 0],
        [Q, ORG_B, 0, 0, 1],
      ].sort(),
    );
    const [onlyB] = await port.stats({ queues: [Q], orgId: ORG_B, since });
    expect(onlyB?.counts.completed).toBe(1);
    const [future] = await port.stats({ queues: [Q], since: new Date(Date.now() + 60_000) });
    expect(future?.completed).toBe(0);
  });

  it('lists by selectors, searches by id, fragment and text, and pages both ways', async () => {
    const list = (query: Partial<Parameters<OpsQueuePort['list']>[0]>) =>
      port.list({ selectors: [{ queue: Q }], order: 'newest', limit: 50, ...query });
    expect((await list({})).map((j) => j.id)).toEqual([ids.none, ids.b1, ids.a2, ids.a1]);
    expect((await list({ order: 'oldest' })).map((j) => j.id)).toEqual([ids.a1, ids.a2, ids.b1, ids.none]);
    expect(
      (await list({ selectors: [{ queue: Q, states: ['failed', 'completed'] }] })).map((j) => j.id),
    ).toEqual([ids.b1, ids.a2]);
    expect((await list({ orgId: ORG_A })).map((j) => j.id)).toEqual([ids.a2, ids.a1]);
    expect((await list({ search: { kind: 'id', id: ids.b1 ?? '' } })).map((j) => j.id)).toEqual([ids.b1]);
    expect((await list({ search: { kind: 'data', data: { n: 2 } } })).map((j) => j.id)).toEqual([ids.a2]);
    expect((await list({ search: { kind: 'text', text: 'ALPHA' } })).map((j) => j.id)).toEqual([
      ids.a2,
      ids.a1,
    ]);
    // LIKE wildcards in the text are literal.
    expect((await list({ search: { kind: 'text', text: '_%' } })).map((j) => j.id)).toEqual([ids.b1]);
    // A dead letter is found by its source job's id, and carries where it came from.
    const [letter] = await port.list({
      selectors: [{ queue: DLQ }],
      search: { kind: 'id', id: ids.a2 ?? '' },
      order: 'newest',
      limit: 5,
    });
    expect(letter).toMatchObject({
      queue: DLQ,
      orgId: ORG_A,
      source: { queue: Q, id: ids.a2, output: { message: 'nope' } },
    });

    for (const order of ['newest', 'oldest'] as const) {
      const seen: string[] = [];
      let after: { createdOn: string; id: string } | undefined;
      for (;;) {
        const page = await list({ order, limit: 1, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        seen.push(...page.map((j) => j.id));
        after = page.at(-1)?.cursor;
      }
      expect(seen).toEqual((await list({ order })).map((j) => j.id));
    }
  });

  it('acts on the caller transaction: a rollback undoes the action', async () => {
    const id = ids.a2 ?? '';
    await t.db
      .transaction()
      .execute(async (trx) => {
        expect(await port.retry(trx, Q, id)).toBe(true);
        expect((await port.get(Q, id, trx))?.state).toBe('retry');
        throw new Error('roll back');
      })
      .catch(() => {});
    expect((await port.get(Q, id))?.state).toBe('failed');

    await t.db.transaction().execute(async (trx) => {
      expect(await port.cancel(trx, Q, ids.none ?? '')).toBe(true);
      expect(await port.cancel(trx, Q, ids.b1 ?? '')).toBe(false);
      expect(await port.retry(trx, Q, ids.b1 ?? '')).toBe(false);
    });
    expect((await port.get(Q, ids.none ?? ''))?.state).toBe('cancelled');

    const moved = await t.db
      .transaction()
      .execute((trx) => port.redrive(trx, { deadLetterQueue: DLQ, orgId: ORG_B }));
    expect(moved).toBe(0);
    expect(
      await t.db.transaction().execute((trx) => port.redrive(trx, { deadLetterQueue: DLQ, orgId: ORG_A })),
    ).toBe(1);
    const redriven = await port.list({
      selectors: [{ queue: Q, states: ['created'] }],
      search: { kind: 'id', id },
      order: 'newest',
      limit: 5,
    });
    expect(redriven).toHaveLength(1);
    expect(redriven[0]).toMatchObject({ orgId: ORG_A, rootId: id, data: { n: 2 } });

    expect(await t.db.transaction().execute((trx) => port.delete(trx, Q, redriven[0]?.id ?? ''))).toBe(true);
    expect(await port.get(Q, redriven[0]?.id ?? '')).toBeNull();
  });
});
