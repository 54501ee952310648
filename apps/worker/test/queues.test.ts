import { defineCatalogue, defineEvent, defineEventQueue, defineQueue } from '@atrium/domain';
import {
  DEAD_LETTER_RETENTION_SECONDS,
  ensureQueues,
  JOB_HEARTBEAT_SECONDS,
  kyselyJobsDb,
} from '@atrium/jobs';
import { useTestDatabase } from '@atrium/testkit';
import { jobsOf, startTestBoss } from '@atrium/testkit/factories';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const Pinged = defineEvent('Pinged', z.object({}));

describe('@atrium/jobs against a real pg-boss', () => {
  const t = useTestDatabase();
  let boss: PgBoss;

  beforeAll(async () => {
    boss = await startTestBoss(t.url);
  });
  afterAll(() => boss.stop({ graceful: false }));

  it('creates every queue with its declared policy, and its dead-letter queue', async () => {
    await ensureQueues(
      boss,
      defineCatalogue(
        defineEventQueue({
          name: 'q.ordered',
          events: [Pinged],
          ordered: true,
          retryLimit: 7,
          retryDelaySeconds: 3,
          retryDelayMaxSeconds: 90,
          expireInSeconds: 45,
        }),
        defineQueue({
          name: 'q.plain',
          payload: z.object({}),
          retryBackoff: false,
          retryDelayMaxSeconds: null,
        }),
      ),
    );
    const queues = Object.fromEntries((await boss.getQueues()).map((q) => [q.name, q]));
    expect(queues['q.ordered']).toMatchObject({
      policy: 'key_strict_fifo',
      retryLimit: 7,
      retryDelay: 3,
      retryBackoff: true,
      retryDelayMax: 90,
      expireInSeconds: 45,
      heartbeatSeconds: JOB_HEARTBEAT_SECONDS,
      deadLetter: 'q.ordered.dead-letter',
      notify: true,
    });
    expect(queues['q.plain']).toMatchObject({ policy: 'standard', retryBackoff: false, retryDelayMax: null });
    expect(queues['q.ordered.dead-letter']).toMatchObject({
      policy: 'standard',
      retryLimit: 0,
      retentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    });
  });

  it('brings an existing queue up to date, and refuses to change its policy in place', async () => {
    await ensureQueues(
      boss,
      defineCatalogue(
        defineQueue({ name: 'q.plain', payload: z.object({}), retryLimit: 9, retryDelayMaxSeconds: 60 }),
      ),
    );
    expect(await boss.getQueue('q.plain')).toMatchObject({
      retryLimit: 9,
      retryBackoff: true,
      retryDelayMax: 60,
    });
    await expect(
      ensureQueues(
        boss,
        defineCatalogue(defineQueue({ name: 'q.plain', payload: z.object({}), ordered: true })),
      ),
    ).rejects.toThrow(/q\.plain.*policy "standard".*"key_strict_fifo"/);
  });

  it('inserts jobs through the caller transaction: they exist only if it commits', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await boss.insert('q.plain', [{ data: { from: 'rolled back' } }], { db: kyselyJobsDb(trx) });
        throw new Error('the unit of work failed');
      }),
    ).rejects.toThrow();
    expect(await jobsOf(t.db, 'q.plain')).toEqual([]);
    await t.db
      .transaction()
      .execute((trx) => boss.insert('q.plain', [{ data: { from: 'committed' } }], { db: kyselyJobsDb(trx) }));
    expect((await jobsOf(t.db, 'q.plain')).map((j) => j.data)).toEqual([{ from: 'committed' }]);
  });
});
