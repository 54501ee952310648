import type { Database } from '@atrium/db';
import { createTestOrg } from '@atrium/testkit/factories';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type AuditEntryInput, appendAuditBatch } from '../../src/audit/index.ts';

export const ACTOR = '00000000-0000-4000-8000-0000000000a1';

/** The n-th entry of a test chain: varied fields, so each one matters to the checksum. */
export function sampleEntry(orgId: string, n: number): AuditEntryInput {
  return {
    orgId,
    actorId: n % 3 === 0 ? null : ACTOR,
    action: n % 2 === 0 ? 'user.created' : 'auth.login.succeeded',
    resourceType: 'user',
    resourceId: n % 5 === 0 ? null : `user-${n}`,
    payload:
      n % 4 === 0
        ? undefined
        : { n, email: `u${n}@example.test`, roles: ['viewer'], nested: { z: 1, a: [n] } },
  };
}

/** A fresh org with a chain of `length` entries appended through the domain. */
export async function seedChain(db: Kysely<Database>, slug: string, length: number): Promise<string> {
  // A bare org row: the audit log needs nothing else of an org.
  const { id: orgId } = await createTestOrg(db, { slug, name: slug, bare: true });
  const entries = Array.from({ length }, (_, i) => sampleEntry(orgId, i + 1));
  await db.transaction().execute((trx) => appendAuditBatch(trx, orgId, entries));
  return orgId;
}

/**
 * Runs a statement the way someone with direct database access would: with the append-only trigger
 * switched off for the duration. This is the tampering audit.verify exists to catch.
 */
export async function outOfBand(db: Kysely<Database>, ...statements: RawBuilder<unknown>[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only`.execute(trx);
    for (const statement of statements) await statement.execute(trx);
    await sql`ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only`.execute(trx);
  });
}
