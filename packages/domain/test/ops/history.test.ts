import { useTestDatabase } from '@atrium/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCatalogue, defineEventQueue } from '../../src/events/catalogue.ts';
import { defineEvent } from '../../src/events/registry.ts';
import { queueHistory } from '../../src/ops/history.ts';

const Thing = defineEvent('OpsHistoryThingHappened', z.object({}));
const catalogue = defineCatalogue(defineEventQueue({ name: 'test.history', events: [Thing] }));
const ORG_A = '00000000-0000-4000-8000-00000000000a';
const ORG_B = '00000000-0000-4000-8000-00000000000b';
const T0 = Date.parse('2026-11-22T10:00:00Z');

describe('queue history', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    // Six samples 10 s apart; at 10:00:30 no worker sampled. The no-org row marks each sampled bucket.
    const rows = [];
    for (const offset of [0, 10, 20, 40, 50]) {
      const captured_at = new Date(T0 + offset * 1000);
      const base = { captured_at, queue: 'test.history', interval_seconds: 10, active: 0, failed: 0 };
      rows.push({ ...base, org_id: null, waiting: 1, completed_delta: 0, failed_delta: 0 });
      rows.push({ ...base, org_id: ORG_A, waiting: offset, completed_delta: 2, failed_delta: 1 });
      if (offset >= 20)
        rows.push({ ...base, org_id: ORG_B, waiting: 100, completed_delta: 5, failed_delta: 0 });
    }
    await t.db.insertInto('ops_queue_samples').values(rows).execute();
  });

  const range = { from: new Date(T0), to: new Date(T0 + 59_000) };

  it('buckets the samples: peak of the gauges, sum of the counters, unsampled buckets absent', async () => {
    const history = await queueHistory(
      { db: t.db, catalogue },
      { scope: { kind: 'platform' }, queue: 'test.history', ...range, points: 3 },
    );
    expect(history.bucketSeconds).toBe(20);
    expect(history.points).toEqual([
      { at: new Date(T0), active: 0, failed: 0, waiting: 11, completed: 4, failures: 2 },
      { at: new Date(T0 + 20_000), active: 0, failed: 0, waiting: 121, completed: 7, failures: 1 },
      { at: new Date(T0 + 40_000), active: 0, failed: 0, waiting: 151, completed: 14, failures: 2 },
    ]);
    const fine = await queueHistory(
      { db: t.db, catalogue },
      { scope: { kind: 'platform' }, queue: 'test.history', ...range, points: 6 },
    );
    expect(fine.points.map((p) => p.at.getTime() - T0)).toEqual([0, 10_000, 20_000, 40_000, 50_000]);
  });

  it("gives an org admin their org's share, with zeros where the queue was sampled", async () => {
    const history = await queueHistory(
      { db: t.db, catalogue },
      { scope: { kind: 'org', orgId: ORG_B }, queue: 'test.history', ...range, points: 6 },
    );
    expect(history.points.map((p) => [p.at.getTime() - T0, p.waiting, p.completed])).toEqual([
      [0, 0, 0],
      [10_000, 0, 0],
      [20_000, 100, 5],
      [40_000, 100, 5],
      [50_000, 100, 5],
    ]);
  });
});
