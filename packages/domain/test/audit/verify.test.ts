import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  appendAudit,
  auditIntegrityReport,
  computeChecksum,
  payloadHash,
  verifyAuditChain,
} from '../../src/audit/index.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { ACTOR, outOfBand, seedChain } from './helpers.ts';

const LENGTH = 12;

describe('verifyAuditChain', () => {
  const t = useTestDatabase();

  const row = (orgId: string, seq: number) =>
    t.db
      .selectFrom('audit_entries')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('seq', '=', String(seq))
      .executeTakeFirstOrThrow();

  /** A forged entry whose checksum is computed the way append computes it. */
  const forge = (orgId: string, seq: number, prevChecksum: string, at = '2026-11-22T10:00:00.000Z') => {
    const forgedPayloadHash = payloadHash({ forged: true });
    return {
      at,
      payloadHash: forgedPayloadHash,
      checksum: computeChecksum({
        orgId,
        seq,
        at,
        actorId: ACTOR,
        action: 'user.roles_set',
        resourceType: 'user',
        resourceId: 'victim',
        payloadHash: forgedPayloadHash,
        prevChecksum,
      }),
    };
  };
  const insertForged = (orgId: string, seq: number, prevChecksum: string, checksum?: string) => {
    const f = forge(orgId, seq, prevChecksum);
    return sql`INSERT INTO audit_entries (org_id, seq, at, actor_id, action, resource_type, resource_id, payload, payload_hash, prev_checksum, checksum)
      VALUES (${orgId}, ${seq}, ${f.at}, ${ACTOR}, 'user.roles_set', 'user', 'victim', '{"forged":true}', ${f.payloadHash}, ${prevChecksum}, ${checksum ?? f.checksum})`;
  };

  it('an untouched chain verifies, with its head', async () => {
    const orgId = await seedChain(t.db, 'verify-intact', LENGTH);
    const last = await row(orgId, LENGTH);
    await expect(verifyAuditChain(t.db, orgId)).resolves.toEqual({
      ok: true,
      entries: LENGTH,
      headSeq: LENGTH,
      headChecksum: last.checksum,
    });
  });

  it('an org that never audited anything verifies as an empty chain', async () => {
    const orgId = await seedChain(t.db, 'verify-empty', 0);
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({ ok: true, entries: 0, headSeq: 0 });
  });

  it('UPDATE of an entry’s action out of band → checksum_mismatch naming that seq', async () => {
    const orgId = await seedChain(t.db, 'tamper-action', LENGTH);
    await outOfBand(
      t.db,
      sql`UPDATE audit_entries SET action = 'user.enabled' WHERE org_id = ${orgId} AND seq = 5`,
    );
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 5,
      reason: 'checksum_mismatch',
      entriesChecked: 4,
      headSeq: LENGTH,
    });
  });

  it('UPDATE of an entry’s payload out of band → payload_mismatch naming that seq', async () => {
    const orgId = await seedChain(t.db, 'tamper-payload', LENGTH);
    await outOfBand(
      t.db,
      sql`UPDATE audit_entries SET payload = jsonb_set(payload, '{roles}', '["admin"]') WHERE org_id = ${orgId} AND seq = 7`,
    );
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 7,
      reason: 'payload_mismatch',
    });
  });

  it('UPDATE of a payload together with its payload_hash → checksum_mismatch naming that seq', async () => {
    const orgId = await seedChain(t.db, 'tamper-payload-hash', LENGTH);
    await outOfBand(
      t.db,
      sql`UPDATE audit_entries SET payload = '{"n":2}', payload_hash = ${payloadHash({ n: 2 })} WHERE org_id = ${orgId} AND seq = 2`,
    );
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 2,
      reason: 'checksum_mismatch',
    });
  });

  it('UPDATE of the actor, the resource or the time (even by one microsecond) → checksum_mismatch', async () => {
    const edits = [
      [
        'actor',
        (o: string) =>
          sql`UPDATE audit_entries SET actor_id = gen_random_uuid() WHERE org_id = ${o} AND seq = 4`,
      ],
      [
        'actor-null',
        (o: string) => sql`UPDATE audit_entries SET actor_id = NULL WHERE org_id = ${o} AND seq = 4`,
      ],
      [
        'resource',
        (o: string) => sql`UPDATE audit_entries SET resource_id = 'other' WHERE org_id = ${o} AND seq = 4`,
      ],
      [
        'ms',
        (o: string) =>
          sql`UPDATE audit_entries SET at = at - interval '1 millisecond' WHERE org_id = ${o} AND seq = 4`,
      ],
      [
        'us',
        (o: string) =>
          sql`UPDATE audit_entries SET at = at + interval '1 microsecond' WHERE org_id = ${o} AND seq = 4`,
      ],
    ] as const;
    for (const [name, edit] of edits) {
      const orgId = await seedChain(t.db, `tamper-field-${name}`, LENGTH);
      await outOfBand(t.db, edit(orgId));
      await expect(verifyAuditChain(t.db, orgId), name).resolves.toMatchObject({
        ok: false,
        firstBrokenSeq: 4,
        reason: 'checksum_mismatch',
      });
    }
  });

  it('times whose milliseconds end in zeros verify (PostgreSQL prints them without the zeros)', async () => {
    const orgId = (
      await createTestOrg(t.db, { slug: 'verify-round-times', name: 'verify-round-times', bare: true })
    ).id;
    const clock = manualClock(new Date('2026-11-22T09:00:00.000Z'));
    for (const at of ['09:00:00.000', '09:00:00.100', '09:00:00.120', '09:00:00.123', '23:59:59.999']) {
      clock.set(new Date(`2026-11-22T${at}Z`));
      await t.db
        .transaction()
        .execute((trx) =>
          appendAudit(
            trx,
            { orgId, actorId: ACTOR, action: 'user.created', resourceType: 'user' },
            { clock },
          ),
        );
    }
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({ ok: true, entries: 5 });
  });

  it('a time no append writes (infinity, BC, beyond year 9999) → checksum_mismatch, not an error', async () => {
    for (const [name, at] of [
      ['infinity', 'infinity'],
      ['bc', '0044-03-15 12:00:00+00 BC'],
      ['far', '12026-11-22 09:00:00+00'],
    ] as const) {
      const orgId = await seedChain(t.db, `tamper-at-${name}`, LENGTH);
      await outOfBand(
        t.db,
        sql`UPDATE audit_entries SET at = ${at}::timestamptz WHERE org_id = ${orgId} AND seq = 3`,
      );
      await expect(verifyAuditChain(t.db, orgId), name).resolves.toMatchObject({
        ok: false,
        firstBrokenSeq: 3,
        reason: 'checksum_mismatch',
      });
    }
  });

  it('an entry re-linked to a different predecessor (checksum recomputed) → prev_mismatch naming that seq', async () => {
    const orgId = await seedChain(t.db, 'tamper-prev', LENGTH);
    const target = await row(orgId, 6);
    const relinked = computeChecksum({
      orgId,
      seq: 6,
      at: target.at.toISOString(),
      actorId: target.actor_id,
      action: target.action,
      resourceType: target.resource_type,
      resourceId: target.resource_id,
      payloadHash: target.payload_hash,
      prevChecksum: 'GENESIS',
    });
    await outOfBand(
      t.db,
      sql`UPDATE audit_entries SET prev_checksum = 'GENESIS', checksum = ${relinked} WHERE org_id = ${orgId} AND seq = 6`,
    );
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 6,
      reason: 'prev_mismatch',
    });
  });

  it('DELETE of a middle entry → gap naming the missing seq', async () => {
    const orgId = await seedChain(t.db, 'tamper-delete-middle', LENGTH);
    await outOfBand(t.db, sql`DELETE FROM audit_entries WHERE org_id = ${orgId} AND seq = 6`);
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 6,
      reason: 'gap',
      entriesChecked: 5,
    });
  });

  it('DELETE of the first entry → gap naming seq 1', async () => {
    const orgId = await seedChain(t.db, 'tamper-delete-first', LENGTH);
    await outOfBand(t.db, sql`DELETE FROM audit_entries WHERE org_id = ${orgId} AND seq = 1`);
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 1,
      reason: 'gap',
    });
  });

  it('DELETE of the tail → head_mismatch naming the first missing seq', async () => {
    const orgId = await seedChain(t.db, 'tamper-delete-tail', LENGTH);
    await outOfBand(t.db, sql`DELETE FROM audit_entries WHERE org_id = ${orgId} AND seq >= ${LENGTH - 1}`);
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: LENGTH - 1,
      reason: 'head_mismatch',
      entriesChecked: LENGTH - 2,
      headSeq: LENGTH,
    });
  });

  it('DELETE of every entry → head_mismatch naming seq 1', async () => {
    const orgId = await seedChain(t.db, 'tamper-delete-all', LENGTH);
    await outOfBand(t.db, sql`DELETE FROM audit_entries WHERE org_id = ${orgId}`);
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 1,
      reason: 'head_mismatch',
    });
  });

  it('INSERT of a forged entry after the head (even correctly chained) → head_mismatch naming it', async () => {
    const orgId = await seedChain(t.db, 'forge-end', LENGTH);
    const last = await row(orgId, LENGTH);
    await outOfBand(t.db, insertForged(orgId, LENGTH + 1, last.checksum));
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: LENGTH + 1,
      reason: 'head_mismatch',
      entriesChecked: LENGTH,
    });
  });

  it('INSERT of a forged entry with the head moved too, checksum made up → checksum_mismatch naming it', async () => {
    const orgId = await seedChain(t.db, 'forge-end-head', LENGTH);
    const last = await row(orgId, LENGTH);
    await outOfBand(
      t.db,
      insertForged(orgId, LENGTH + 1, last.checksum, 'f'.repeat(64)),
      sql`UPDATE audit_heads SET seq = ${LENGTH + 1}, checksum = ${'f'.repeat(64)} WHERE org_id = ${orgId}`,
    );
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: LENGTH + 1,
      reason: 'checksum_mismatch',
    });
  });

  it('INSERT of a forged entry in the middle (chain renumbered) → names the forged seq', async () => {
    const orgId = await seedChain(t.db, 'forge-middle', LENGTH);
    const before = await row(orgId, 4);
    await outOfBand(
      t.db,
      // Make room at seq 5 (two steps: the primary key is checked row by row).
      sql`UPDATE audit_entries SET seq = seq + 1000 WHERE org_id = ${orgId} AND seq >= 5`,
      sql`UPDATE audit_entries SET seq = seq - 999 WHERE org_id = ${orgId} AND seq > 1000`,
      insertForged(orgId, 5, before.checksum, 'e'.repeat(64)),
      sql`UPDATE audit_heads SET seq = seq + 1 WHERE org_id = ${orgId}`,
    );
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 5,
      reason: 'checksum_mismatch',
      entriesChecked: 4,
    });
  });

  it('a forged middle entry that chains correctly is caught at the displaced entry after it', async () => {
    const orgId = await seedChain(t.db, 'forge-middle-chained', LENGTH);
    const before = await row(orgId, 4);
    await outOfBand(
      t.db,
      sql`UPDATE audit_entries SET seq = seq + 1000 WHERE org_id = ${orgId} AND seq >= 5`,
      sql`UPDATE audit_entries SET seq = seq - 999 WHERE org_id = ${orgId} AND seq > 1000`,
      insertForged(orgId, 5, before.checksum),
      sql`UPDATE audit_heads SET seq = seq + 1 WHERE org_id = ${orgId}`,
    );
    // Entry 5 is indistinguishable from a genuine one; the old entry 5, now numbered 6, is not.
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 6,
      reason: 'checksum_mismatch',
      entriesChecked: 5,
    });
  });

  it('a head that disagrees with the last entry, or is missing, → head_mismatch', async () => {
    const moved = await seedChain(t.db, 'tamper-head-checksum', LENGTH);
    await outOfBand(t.db, sql`UPDATE audit_heads SET checksum = ${'0'.repeat(64)} WHERE org_id = ${moved}`);
    await expect(verifyAuditChain(t.db, moved)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: LENGTH,
      reason: 'head_mismatch',
    });

    const missing = await seedChain(t.db, 'tamper-head-missing', LENGTH);
    await outOfBand(t.db, sql`DELETE FROM audit_heads WHERE org_id = ${missing}`);
    await expect(verifyAuditChain(t.db, missing)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 1,
      reason: 'head_mismatch',
    });
  });

  it('a chain rewritten end to end passes on its own, and fails against an anchor kept elsewhere', async () => {
    const orgId = await seedChain(t.db, 'rewrite', LENGTH);
    const anchors = [{ seq: 8, checksum: (await row(orgId, 8)).checksum }];
    // Someone with write access edits entry 3 and recomputes every checksum after it, and the head.
    const rows = await t.db
      .selectFrom('audit_entries')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('seq')
      .execute();
    const statements = [];
    let prev = rows[1]!.checksum;
    for (const r of rows.slice(2)) {
      const seq = Number(r.seq);
      const action = seq === 3 ? 'user.enabled' : r.action;
      const checksum = computeChecksum({
        orgId,
        seq,
        at: r.at.toISOString(),
        actorId: r.actor_id,
        action,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        payloadHash: r.payload_hash,
        prevChecksum: prev,
      });
      statements.push(
        sql`UPDATE audit_entries SET action = ${action}, prev_checksum = ${prev}, checksum = ${checksum} WHERE org_id = ${orgId} AND seq = ${seq}`,
      );
      prev = checksum;
    }
    statements.push(sql`UPDATE audit_heads SET checksum = ${prev} WHERE org_id = ${orgId}`);
    await outOfBand(t.db, ...statements);

    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({ ok: true });
    await expect(verifyAuditChain(t.db, orgId, { anchors })).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 8,
      reason: 'anchor_mismatch',
    });
  });

  it('streams in keyset pages: a break deep in a long chain is found with small pages', async () => {
    const orgId = await seedChain(t.db, 'verify-paged', 500);
    await expect(verifyAuditChain(t.db, orgId, { batchSize: 7 })).resolves.toMatchObject({
      ok: true,
      entries: 500,
    });
    await outOfBand(
      t.db,
      sql`UPDATE audit_entries SET resource_type = 'role' WHERE org_id = ${orgId} AND seq = 333`,
    );
    await expect(verifyAuditChain(t.db, orgId, { batchSize: 7 })).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 333,
      reason: 'checksum_mismatch',
      entriesChecked: 332,
    });
  });

  it('orgs are independent: tampering with org A leaves org B verified, and the report names A only', async () => {
    const a = await seedChain(t.db, 'independent-a', LENGTH);
    const b = await seedChain(t.db, 'independent-b', LENGTH);
    await outOfBand(t.db, sql`DELETE FROM audit_entries WHERE org_id = ${a} AND seq = 3`);
    await expect(verifyAuditChain(t.db, a)).resolves.toMatchObject({ ok: false, firstBrokenSeq: 3 });
    await expect(verifyAuditChain(t.db, b)).resolves.toMatchObject({ ok: true, entries: LENGTH });

    // Moving an entry from B into A's gap does not pass either: the org is part of the checksum.
    await outOfBand(t.db, sql`UPDATE audit_entries SET org_id = ${a} WHERE org_id = ${b} AND seq = 3`);
    await expect(verifyAuditChain(t.db, a)).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 3,
      reason: 'checksum_mismatch',
    });

    const report = await auditIntegrityReport(t.db);
    expect(report.ok).toBe(false);
    const byOrg = new Map(report.orgs.map((o) => [o.orgId, o]));
    expect(byOrg.get(a)).toMatchObject({ ok: false, firstBrokenSeq: 3 });
    expect(byOrg.get(b)).toMatchObject({ ok: false, firstBrokenSeq: 3, reason: 'gap' });
    // Every other org of this file's database is in the report too, each with its own verdict.
    const orgCount = await t.db
      .selectFrom('orgs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(report.orgs).toHaveLength(Number(orgCount.n));
  });

  it('the integrity report is ok when every chain is', async () => {
    // Deleting the tampered orgs (cascade) leaves only intact chains.
    await sql`DELETE FROM orgs WHERE slug LIKE 'tamper-%' OR slug LIKE 'forge-%' OR slug LIKE 'independent-%' OR slug = 'rewrite' OR slug = 'verify-paged'`.execute(
      t.db,
    );
    const report = await auditIntegrityReport(t.db);
    expect(report.ok).toBe(true);
    expect(report.orgs.length).toBeGreaterThan(0);
    expect(report.orgs.every((o) => o.ok)).toBe(true);
  });

  it('sees one snapshot: appends committed while it runs do not look like tampering', async () => {
    const orgId = await seedChain(t.db, 'verify-snapshot', 2_000);
    const [result] = await Promise.all([verifyAuditChain(t.db, orgId, { batchSize: 100 }), seedMore(orgId)]);
    expect(result.ok).toBe(true);
    await expect(verifyAuditChain(t.db, orgId)).resolves.toMatchObject({ ok: true, entries: 2_050 });
  });

  async function seedMore(orgId: string) {
    for (let i = 0; i < 50; i++) {
      await t.db
        .transaction()
        .execute((trx) =>
          appendAudit(trx, { orgId, actorId: null, action: 'org.settings_updated', resourceType: 'org' }),
        );
    }
  }
});
