import { createDb, type DbHandle } from '@atrium/db';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendAudit,
  appendAuditBatch,
  computeChecksum,
  GENESIS,
  payloadHash,
  verifyAuditChain,
} from '../../src/audit/index.ts';
import { AppError } from '../../src/errors.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { ACTOR } from './helpers.ts';

describe('appendAudit', () => {
  const t = useTestDatabase();

  const entries = (orgId: string) =>
    t.db.selectFrom('audit_entries').selectAll().where('org_id', '=', orgId).orderBy('seq').execute();
  const head = (orgId: string) =>
    t.db.selectFrom('audit_heads').selectAll().where('org_id', '=', orgId).executeTakeFirst();

  it('chains entries from GENESIS: seq 1, 2, 3…, each linking to the previous checksum', async () => {
    const orgId = (await createTestOrg(t.db, { slug: 'chain-basic', name: 'chain-basic', bare: true })).id;
    const clock = manualClock(new Date('2026-11-22T09:00:00.123Z'));
    const first = await t.db.transaction().execute((trx) =>
      appendAudit(
        trx,
        {
          orgId,
          actorId: ACTOR,
          action: 'user.created',
          resourceType: 'user',
          resourceId: 'u-1',
          payload: { b: 1, a: 2 },
        },
        { clock },
      ),
    );
    clock.advance(1);
    const second = await t.db
      .transaction()
      .execute((trx) =>
        appendAudit(
          trx,
          { orgId, actorId: null, action: 'scheduler.schedule.triggered', resourceType: 'schedule' },
          { clock },
        ),
      );

    const rows = await entries(orgId);
    expect(rows.map((r) => r.seq)).toEqual(['1', '2']);
    const [one, two] = rows;
    expect(one).toMatchObject({
      actor_id: ACTOR,
      action: 'user.created',
      resource_type: 'user',
      resource_id: 'u-1',
      payload: { a: 2, b: 1 },
      payload_hash: payloadHash({ a: 2, b: 1 }),
      prev_checksum: GENESIS,
    });
    // at round-trips through timestamptz to the millisecond it was hashed with.
    expect(one?.at.toISOString()).toBe('2026-11-22T09:00:00.123Z');
    expect(one?.checksum).toBe(
      computeChecksum({
        orgId,
        seq: 1,
        at: '2026-11-22T09:00:00.123Z',
        actorId: ACTOR,
        action: 'user.created',
        resourceType: 'user',
        resourceId: 'u-1',
        payloadHash: payloadHash({ a: 2, b: 1 }),
        prevChecksum: GENESIS,
      }),
    );
    expect(two).toMatchObject({
      actor_id: null,
      resource_id: null,
      payload: null,
      payload_hash: payloadHash(null),
    });
    expect(two?.prev_checksum).toBe(one?.checksum);
    expect(first).toMatchObject({ orgId, seq: 1, checksum: one?.checksum });
    expect(second).toMatchObject({ orgId, seq: 2, checksum: two?.checksum });
    expect(await head(orgId)).toMatchObject({ seq: '2', checksum: two?.checksum });
    await expect(verifyAuditChain(t.db, orgId)).resolves.toEqual({
      ok: true,
      entries: 2,
      headSeq: 2,
      headChecksum: two?.checksum,
    });
  });

  it('appends a batch under one lock, continuing the chain', async () => {
    const orgId = (await createTestOrg(t.db, { slug: 'chain-batch', name: 'chain-batch', bare: true })).id;
    await t.db.transaction().execute((trx) =>
      appendAudit(trx, {
        orgId,
        actorId: ACTOR,
        action: 'role.created',
        resourceType: 'role',
        resourceId: 'r-1',
      }),
    );
    // More than one INSERT chunk (1,000 rows).
    const batch = Array.from({ length: 2_500 }, (_, i) => ({
      actorId: ACTOR,
      action: 'user.created' as const,
      resourceType: 'user',
      resourceId: `u-${i}`,
      payload: { i },
    }));
    const appended = await t.db.transaction().execute((trx) => appendAuditBatch(trx, orgId, batch));
    expect(appended.map((a) => a.seq)).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 2));
    expect(await head(orgId)).toMatchObject({ seq: '2501', checksum: appended.at(-1)?.checksum });
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({ ok: true, entries: 2_501 });
  });

  it('computes the same checksums in both paths for awkward text and upper-case UUIDs', async () => {
    const orgId = (await createTestOrg(t.db, { slug: 'chain-awkward', name: 'chain-awkward', bare: true }))
      .id;
    const awkward = {
      actorId: ACTOR.toUpperCase(),
      action: 'content.published' as const,
      resourceType: 'content',
      resourceId: 'a|b\\c|',
      payload: { title: 'pipes | and \\ backslashes', emoji: '🎉' },
    };
    const single = await t.db
      .transaction()
      .execute((trx) => appendAudit(trx, { ...awkward, orgId: orgId.toUpperCase() }));
    const batch = await t.db
      .transaction()
      .execute((trx) => appendAuditBatch(trx, orgId.toUpperCase(), [awkward]));
    const rows = await entries(orgId);
    expect(rows.map((r) => [r.actor_id, r.resource_id])).toEqual([
      [ACTOR, 'a|b\\c|'],
      [ACTOR, 'a|b\\c|'],
    ]);
    for (const [i, appended] of [single, ...batch].entries()) {
      const row = rows[i]!;
      expect(appended.checksum).toBe(row.checksum);
      expect(row.checksum).toBe(
        computeChecksum({
          orgId,
          seq: i + 1,
          at: row.at.toISOString(),
          actorId: ACTOR,
          action: 'content.published',
          resourceType: 'content',
          resourceId: 'a|b\\c|',
          payloadHash: payloadHash(awkward.payload),
          prevChecksum: i === 0 ? GENESIS : rows[0]!.checksum,
        }),
      );
    }
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({ ok: true, entries: 2 });
  });

  it('leaves nothing behind when the audited transaction rolls back, and the seq is reused', async () => {
    const orgId = (await createTestOrg(t.db, { slug: 'chain-rollback', name: 'chain-rollback', bare: true }))
      .id;
    await t.db.transaction().execute((trx) =>
      appendAudit(trx, {
        orgId,
        actorId: ACTOR,
        action: 'user.created',
        resourceType: 'user',
        resourceId: 'u-1',
      }),
    );
    const failure = new Error('the audited change failed');
    await expect(
      t.db.transaction().execute(async (trx) => {
        const appended = await appendAudit(trx, {
          orgId,
          actorId: ACTOR,
          action: 'user.disabled',
          resourceType: 'user',
          resourceId: 'u-1',
        });
        expect(appended.seq).toBe(2);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect((await entries(orgId)).map((r) => r.action)).toEqual(['user.created']);
    expect(await head(orgId)).toMatchObject({ seq: '1' });

    const next = await t.db.transaction().execute((trx) =>
      appendAudit(trx, {
        orgId,
        actorId: ACTOR,
        action: 'user.enabled',
        resourceType: 'user',
        resourceId: 'u-1',
      }),
    );
    expect(next.seq).toBe(2);
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({ ok: true, entries: 2 });
  });

  it('refuses to run outside a transaction, and refuses unknown actions and bad resource types', async () => {
    const orgId = (await createTestOrg(t.db, { slug: 'chain-invalid', name: 'chain-invalid', bare: true }))
      .id;
    const entry = { orgId, actorId: ACTOR, action: 'user.created' as const, resourceType: 'user' };
    // biome-ignore lint/suspicious/noExplicitAny: deliberately passing the non-transactional handle
    await expect(appendAudit(t.db as any, entry)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(
      t.db.transaction().execute((trx) =>
        // biome-ignore lint/suspicious/noExplicitAny: an action outside the catalogue, as untyped code might pass
        appendAudit(trx, { ...entry, action: 'user.exploded' as any }),
      ),
    ).rejects.toBeInstanceOf(AppError);
    await expect(
      t.db.transaction().execute((trx) => appendAudit(trx, { ...entry, resourceType: 'User|Thing' })),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(
      t.db
        .transaction()
        .execute((trx) => appendAudit(trx, { ...entry, payload: { blob: 'x'.repeat(70_000) } })),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(await entries(orgId)).toEqual([]);
  });

  describe('under concurrency', () => {
    let writers: DbHandle;
    beforeAll(() => {
      writers = createDb({ connectionString: t.url, poolSize: 20, applicationName: 'audit-writers' });
    });
    afterAll(() => writers.destroy());

    it('20 connections × 20 appends for one org give seq 1..400: no gaps, no forks, chain verifies', async () => {
      const orgId = (
        await createTestOrg(t.db, { slug: 'chain-concurrent', name: 'chain-concurrent', bare: true })
      ).id;
      const appended = await Promise.all(
        Array.from({ length: 20 }, async (_, writer) => {
          const seqs: number[] = [];
          for (let i = 0; i < 20; i++) {
            const entry = await writers.db.transaction().execute((trx) =>
              appendAudit(trx, {
                orgId,
                actorId: ACTOR,
                action: 'user.updated',
                resourceType: 'user',
                resourceId: `writer-${writer}`,
                payload: { writer, i },
              }),
            );
            seqs.push(entry.seq);
          }
          return seqs;
        }),
      );
      for (const seqs of appended) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(appended.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));

      const rows = await entries(orgId);
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      // No fork: every checksum is the prev_checksum of exactly the next entry.
      expect(new Set(rows.map((r) => r.prev_checksum)).size).toBe(400);
      await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
        ok: true,
        entries: 400,
        headSeq: 400,
      });
    });

    it('two first appends of a new org race safely on creating the head', async () => {
      const orgId = (
        await createTestOrg(t.db, { slug: 'chain-first-race', name: 'chain-first-race', bare: true })
      ).id;
      const seqs = await Promise.all(
        Array.from({ length: 10 }, () =>
          writers.db
            .transaction()
            .execute((trx) =>
              appendAudit(trx, { orgId, actorId: null, action: 'org.created', resourceType: 'org' }),
            ),
        ),
      );
      expect(seqs.map((s) => s.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({ ok: true, entries: 10 });
    });

    it('serialises per org only: an open append of one org does not hold up another org', async () => {
      const [orgA, orgB] = [
        (await createTestOrg(t.db, { slug: 'chain-lock-a', name: 'chain-lock-a', bare: true })).id,
        (await createTestOrg(t.db, { slug: 'chain-lock-b', name: 'chain-lock-b', bare: true })).id,
      ];
      const holder = await writers.db.startTransaction().execute();
      try {
        await appendAudit(holder, { orgId: orgA, actorId: null, action: 'org.created', resourceType: 'org' });
        // Org B appends while org A's head is locked.
        const b = await writers.db
          .transaction()
          .execute((trx) =>
            appendAudit(trx, { orgId: orgB, actorId: null, action: 'org.created', resourceType: 'org' }),
          );
        expect(b.seq).toBe(1);
        // A second writer of org A waits for the lock (short lock_timeout proves it is blocked).
        await expect(
          writers.db.transaction().execute(async (trx) => {
            await sql`SET LOCAL lock_timeout = '200ms'`.execute(trx);
            return appendAudit(trx, {
              orgId: orgA,
              actorId: null,
              action: 'org.created',
              resourceType: 'org',
            });
          }),
        ).rejects.toThrow(/lock timeout/);
      } finally {
        await holder.commit().execute();
      }
      await expect(verifyAuditChain(t.db, orgA)).resolves.toMatchObject({ ok: true, entries: 1 });
    });
  });

  it('is append-only in the database too: UPDATE, DELETE and TRUNCATE are refused; deleting the org cascades', async () => {
    const orgId = (
      await createTestOrg(t.db, { slug: 'chain-append-only', name: 'chain-append-only', bare: true })
    ).id;
    await t.db
      .transaction()
      .execute((trx) =>
        appendAudit(trx, { orgId, actorId: ACTOR, action: 'user.created', resourceType: 'user' }),
      );
    await expect(
      sql`UPDATE audit_entries SET action = 'x' WHERE org_id = ${orgId}`.execute(t.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_entries WHERE org_id = ${orgId}`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`TRUNCATE audit_entries`.execute(t.db)).rejects.toThrow(/append-only/);
    await t.db.deleteFrom('orgs').where('id', '=', orgId).execute();
    expect(await entries(orgId)).toEqual([]);
    expect(await head(orgId)).toBeUndefined();
  });
});
