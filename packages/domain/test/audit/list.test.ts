import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, listAudit } from '../../src/audit/index.ts';
import { ValidationError } from '../../src/errors.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { ACTOR } from './helpers.ts';

const OTHER_ACTOR = '00000000-0000-4000-8000-0000000000a2';

describe('listAudit', () => {
  const t = useTestDatabase();
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    orgA = (await createTestOrg(t.db, { slug: 'list-a', name: 'list-a', bare: true })).id;
    orgB = (await createTestOrg(t.db, { slug: 'list-b', name: 'list-b', bare: true })).id;
    const clock = manualClock(new Date('2026-11-22T09:00:00.000Z'));
    // Org A: 30 entries one minute apart, alternating actors and actions; org B: 5 of its own.
    for (let i = 1; i <= 30; i++) {
      await t.db.transaction().execute((trx) =>
        appendAudit(
          trx,
          {
            orgId: orgA,
            actorId: i % 2 === 0 ? ACTOR : OTHER_ACTOR,
            action: i % 3 === 0 ? 'user.disabled' : 'auth.login.succeeded',
            resourceType: 'user',
            resourceId: `user-${i % 4}`,
            payload: { i },
          },
          { clock },
        ),
      );
      clock.advance(60_000);
    }
    for (let i = 1; i <= 5; i++) {
      await t.db.transaction().execute((trx) =>
        appendAudit(trx, {
          orgId: orgB,
          actorId: ACTOR,
          action: 'user.disabled',
          resourceType: 'user',
          resourceId: 'user-1',
        }),
      );
    }
  });

  it('pages newest first with a cursor, through the whole org and nothing else', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listAudit(t.db, orgA, { limit: 8, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((item) => item.seq));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
  });

  it('returns camelCase entries with their chain fields', async () => {
    const { items } = await listAudit(t.db, orgA, { limit: 1 });
    expect(items[0]).toEqual({
      seq: 30,
      at: new Date('2026-11-22T09:29:00.000Z'),
      actorId: ACTOR,
      // No user has this id: the name is unknown.
      actorName: null,
      action: 'user.disabled',
      resourceType: 'user',
      resourceId: 'user-2',
      payload: { i: 30 },
      payloadHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      prevChecksum: expect.stringMatching(/^[0-9a-f]{64}$/),
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('filters by action, actor, resource and time window', async () => {
    const byAction = await listAudit(t.db, orgA, { action: 'user.disabled', limit: 100 });
    expect(byAction.items.map((i) => i.seq)).toEqual([30, 27, 24, 21, 18, 15, 12, 9, 6, 3]);

    const byActor = await listAudit(t.db, orgA, { actorId: OTHER_ACTOR, limit: 100 });
    expect(byActor.items).toHaveLength(15);
    expect(byActor.items.every((i) => i.actorId === OTHER_ACTOR)).toBe(true);

    const byResource = await listAudit(t.db, orgA, {
      resourceType: 'user',
      resourceId: 'user-1',
      limit: 100,
    });
    expect(byResource.items.map((i) => i.seq)).toEqual([29, 25, 21, 17, 13, 9, 5, 1]);

    const window = await listAudit(t.db, orgA, {
      from: new Date('2026-11-22T09:10:00.000Z'),
      to: new Date('2026-11-22T09:15:00.000Z'),
    });
    expect(window.items.map((i) => i.seq)).toEqual([15, 14, 13, 12, 11]);

    const combined = await listAudit(t.db, orgA, { action: 'user.disabled', actorId: ACTOR, limit: 2 });
    expect(combined.items.map((i) => i.seq)).toEqual([30, 24]);
    const next = await listAudit(t.db, orgA, {
      action: 'user.disabled',
      actorId: ACTOR,
      limit: 2,
      cursor: combined.nextCursor ?? '',
    });
    expect(next.items.map((i) => i.seq)).toEqual([18, 12]);
  });

  it('never shows another org’s entries, whatever the filters', async () => {
    const b = await listAudit(t.db, orgB, { limit: 100 });
    expect(b.items.map((i) => i.seq)).toEqual([5, 4, 3, 2, 1]);
    const bByResource = await listAudit(t.db, orgB, {
      resourceId: 'user-1',
      action: 'user.disabled',
      limit: 100,
    });
    expect(bByResource.items).toHaveLength(5);
    // A cursor taken from org A's listing only moves within org B.
    const bFromCursor = await listAudit(t.db, orgB, { cursor: '3' });
    expect(bFromCursor.items.map((i) => i.seq)).toEqual([2, 1]);
    expect(bFromCursor.nextCursor).toBeNull();
  });

  it('defaults to 50 per page and refuses a limit outside 1..100 or a malformed cursor', async () => {
    expect((await listAudit(t.db, orgA)).items).toHaveLength(30);
    await expect(listAudit(t.db, orgA, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(listAudit(t.db, orgA, { limit: 101 })).rejects.toBeInstanceOf(ValidationError);
    await expect(listAudit(t.db, orgA, { cursor: '1; DROP TABLE orgs' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      fieldErrors: { cursor: ['Invalid cursor'] },
    });
    await expect(listAudit(t.db, orgA, { actorId: 'not-a-uuid' })).rejects.toBeInstanceOf(ValidationError);
  });
});
