import type { Database } from '@atrium/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import { systemClock } from '../platform/clock.ts';
import { canonicalJson, computeChecksum, GENESIS, sha256Hex } from './chain.ts';
import { PLATFORM_AUDIT_CHAIN } from './platform.ts';

/**
 * Why a chain is broken, named at the first seq where it stops being consistent:
 * - `gap`: an entry is missing (deleted) — firstBrokenSeq is the missing seq;
 * - `unexpected_seq`: an entry numbered below 1 (the schema forbids it; only out-of-band DDL allows it);
 * - `payload_mismatch`: the stored payload does not hash to payload_hash (payload edited);
 * - `checksum_mismatch`: the entry's fields do not hash to its checksum (any field edited, or a
 *   forged entry whose checksum was not computed correctly);
 * - `prev_mismatch`: the entry does not link to its predecessor's checksum (a link replaced);
 * - `anchor_mismatch`: the checksum at an anchored seq differs from the trusted copy (chain rewritten);
 * - `head_mismatch`: the head disagrees with the entries — entries beyond the head (inserted at the
 *   end), the tail missing (head says N, last entry is lower), or the last checksum differs.
 */
export const AUDIT_CHAIN_BREAKS = [
  'gap',
  'unexpected_seq',
  'payload_mismatch',
  'checksum_mismatch',
  'prev_mismatch',
  'anchor_mismatch',
  'head_mismatch',
] as const;
export type AuditChainBreak = (typeof AUDIT_CHAIN_BREAKS)[number];

export type AuditVerifyResult =
  | {
      ok: true;
      /** Entries verified (= headSeq for an intact chain). */
      entries: number;
      headSeq: number;
      /** The last checksum: keep it somewhere else as an anchor for later verifications. */
      headChecksum: string;
    }
  | {
      ok: false;
      firstBrokenSeq: number;
      reason: AuditChainBreak;
      message: string;
      /** Entries that verified before the break. */
      entriesChecked: number;
      headSeq: number;
    };

/** A (seq, checksum) pair recorded earlier somewhere the database's writers cannot reach. */
export interface AuditAnchor {
  seq: number;
  checksum: string;
}

export interface VerifyAuditOptions {
  /**
   * Checksums known from an earlier verification (the integrity report's heads). The chain has no
   * secret, so someone able to write the table could recompute it end to end; anchors catch that.
   */
  anchors?: ReadonlyArray<AuditAnchor>;
  /** Rows per keyset page; memory stays proportional to this, not to the chain. */
  batchSize?: number;
}

/**
 * 1,000 rows a page measured fastest (vs 500…20,000): a page and the one streaming in behind it stay
 * small enough to die young, and PostgreSQL still stays ahead of the hashing.
 */
const DEFAULT_BATCH = 1_000;

interface StoredEntry {
  seq: string;
  /**
   * at as PostgreSQL prints a timestamptz under this transaction's TimeZone=UTC, DateStyle=ISO:
   * `YYYY-MM-DD HH:MI:SS[.f…]+00`, trailing zeros of the fraction dropped, microseconds kept.
   */
  at_text: string;
  actor_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  /**
   * The payload as jsonb's text (null for SQL NULL), parsed only when it is hashed: a parsed tree
   * lives for one row instead of a whole page, which keeps it out of the old generation.
   */
  payload_text: string | null;
  payload_hash: string;
  prev_checksum: string;
  checksum: string;
}

/** Rows hashed between two yields to the event loop, so the next page keeps streaming in meanwhile. */
const YIELD_EVERY = 250;

/**
 * Recomputes the org's chain from GENESIS and compares it with the head, stopping at the first break.
 * Reads one consistent snapshot (REPEATABLE READ, read-only), so appends committing meanwhile neither
 * block it nor look like tampering. Streams keyset pages on seq and fetches the next page while
 * hashing the current one.
 */
export async function verifyAuditChain(
  db: Kysely<Database>,
  orgId: string,
  options: VerifyAuditOptions = {},
): Promise<AuditVerifyResult> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => verifyInSnapshot(trx, orgId.toLowerCase(), options));
}

async function verifyInSnapshot(
  trx: Transaction<Database>,
  orgId: string,
  options: VerifyAuditOptions,
): Promise<AuditVerifyResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const anchors = new Map((options.anchors ?? []).map((a) => [a.seq, a.checksum]));
  // `at::text` in a known form (see StoredEntry.at_text): less than half of to_char's cost to
  // PostgreSQL, and exact. Local to this transaction.
  await sql`SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO', true)`.execute(trx);
  const headRow = await trx
    .selectFrom('audit_heads')
    .select(['seq', 'checksum'])
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  // No head row: the chain must be empty.
  const head = headRow
    ? { seq: Number(headRow.seq), checksum: headRow.checksum }
    : { seq: 0, checksum: GENESIS };

  let expectedSeq = 1;
  let prevChecksum = GENESIS;
  const broken = (firstBrokenSeq: number, reason: AuditChainBreak, message: string): AuditVerifyResult => ({
    ok: false,
    firstBrokenSeq,
    reason,
    message,
    entriesChecked: expectedSeq - 1,
    headSeq: head.seq,
  });

  let pending: Promise<StoredEntry[]> | null = fetchPage(trx, orgId, 0, batchSize);
  while (pending) {
    const rows: StoredEntry[] = await pending;
    const last = rows.at(-1);
    pending = rows.length === batchSize && last ? fetchPage(trx, orgId, Number(last.seq), batchSize) : null;

    for (let i = 0; i < rows.length; i++) {
      // Yield now and then: the next page's rows are parsed as they arrive instead of piling up in
      // the socket (which would stall the database on the other core).
      if (pending && i % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      const row = rows[i]!;
      const seq = Number(row.seq);
      let failure: AuditVerifyResult | null = null;
      if (seq !== expectedSeq) {
        failure =
          seq > expectedSeq
            ? broken(expectedSeq, 'gap', `entry ${expectedSeq} is missing (next entry is ${seq})`)
            : broken(seq, 'unexpected_seq', `entry numbered ${seq} where ${expectedSeq} was expected`);
      } else if (seq > head.seq) {
        failure = broken(
          seq,
          'head_mismatch',
          headRow
            ? `entry ${seq} lies beyond the chain head (${head.seq})`
            : 'entries exist but the chain head is missing',
        );
      } else if (hashPayload(row.payload_text) !== row.payload_hash) {
        failure = broken(seq, 'payload_mismatch', `entry ${seq}'s payload does not match its payload hash`);
      } else if (recomputeChecksum(orgId, seq, row) !== row.checksum) {
        failure = broken(seq, 'checksum_mismatch', `entry ${seq}'s fields do not match its checksum`);
      } else if (row.prev_checksum !== prevChecksum) {
        failure = broken(seq, 'prev_mismatch', `entry ${seq} does not link to entry ${seq - 1}`);
      } else if (anchors.size > 0 && anchors.has(seq) && anchors.get(seq) !== row.checksum) {
        failure = broken(seq, 'anchor_mismatch', `entry ${seq} differs from its anchored checksum`);
      }
      if (failure) {
        // Nobody awaits the page in flight any more; its outcome no longer matters.
        pending?.catch(() => {});
        return failure;
      }
      prevChecksum = row.checksum;
      expectedSeq += 1;
    }
  }

  const lastSeq = expectedSeq - 1;
  if (lastSeq < head.seq) {
    return broken(
      lastSeq + 1,
      'head_mismatch',
      `entries ${lastSeq + 1}..${head.seq} are missing (head is ${head.seq})`,
    );
  }
  if (prevChecksum !== head.checksum) {
    return broken(head.seq, 'head_mismatch', `the chain head's checksum differs from entry ${head.seq}'s`);
  }
  for (const [seq] of anchors) {
    if (seq > lastSeq) return broken(lastSeq + 1, 'anchor_mismatch', `anchored entry ${seq} is missing`);
  }
  return { ok: true, entries: lastSeq, headSeq: head.seq, headChecksum: head.checksum };
}

function fetchPage(
  trx: Transaction<Database>,
  orgId: string,
  afterSeq: number,
  limit: number,
): Promise<StoredEntry[]> {
  return trx
    .selectFrom('audit_entries')
    .select([
      'seq',
      // The text, not a Date: cheaper, and it keeps the microseconds a Date would silently drop.
      sql<string>`at::text`.as('at_text'),
      'actor_id',
      'action',
      'resource_type',
      'resource_id',
      sql<string | null>`payload::text`.as('payload_text'),
      'payload_hash',
      'prev_checksum',
      'checksum',
    ])
    .where('org_id', '=', orgId)
    .where('seq', '>', String(afterSeq))
    .orderBy('seq')
    .limit(limit)
    .execute();
}

function hashPayload(payloadText: string | null): string | null {
  try {
    return sha256Hex(canonicalJson(payloadText === null ? null : JSON.parse(payloadText)));
  } catch {
    return null;
  }
}

/**
 * The chain's form of a stored time (`2026-11-22T09:00:00.120Z`) from PostgreSQL's
 * (`2026-11-22 09:00:00.12+00`), or null when no append could have written it: a sub-millisecond
 * part, or a year outside 0001..9999 (any other shape). Field for field, so distinct times never map
 * to the same text.
 */
function chainTime(text: string): string | null {
  const length = text.length;
  // `YYYY-MM-DD HH:MI:SS` + optional `.f` to `.ffffff` + `+00`
  if (length < 22 || length > 29 || text.charCodeAt(10) !== 32 || !text.endsWith('+00')) return null;
  let fraction = '000';
  if (length > 22) {
    // Only milliseconds are written: `.f`, `.ff` or `.fff` (PostgreSQL drops trailing zeros).
    if (length < 24 || length > 26 || text.charCodeAt(19) !== 46) return null;
    fraction = text.slice(20, length - 3).padEnd(3, '0');
  }
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction}Z`;
}

/**
 * The checksum the row's stored fields call for. `org_id` is the org being verified as PostgreSQL
 * spells it (lower case). Appends write millisecond times; a sub-millisecond part can only come from
 * an edit, so such a row matches no checksum.
 */
function recomputeChecksum(orgId: string, seq: number, row: StoredEntry): string | null {
  const at = chainTime(row.at_text);
  if (at === null) return null;
  return computeChecksum({
    orgId,
    seq,
    at,
    actorId: row.actor_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    payloadHash: row.payload_hash,
    prevChecksum: row.prev_checksum,
  });
}

export interface AuditIntegrityReport {
  checkedAt: Date;
  /** True when every org's chain verified. */
  ok: boolean;
  durationMs: number;
  orgs: Array<{ orgId: string } & AuditVerifyResult>;
}

/**
 * Verifies every org's chain, one after another (memory stays flat however many orgs there are).
 * The scheduler runs it daily (SPEC §8); `anchors` are the heads a previous report recorded.
 */
export async function auditIntegrityReport(
  db: Kysely<Database>,
  options: { clock?: Clock; anchors?: ReadonlyMap<string, ReadonlyArray<AuditAnchor>> } = {},
): Promise<AuditIntegrityReport> {
  const clock = options.clock ?? systemClock;
  const checkedAt = clock.now();
  const started = performance.now();
  const orgs = await db.selectFrom('orgs').select('id').orderBy('id').execute();
  // The platform chain (operators' actions) is verified like an org's, once it has entries.
  const platform = await db
    .selectFrom('audit_heads')
    .select('org_id as id')
    .where('org_id', '=', PLATFORM_AUDIT_CHAIN)
    .execute();
  const results: AuditIntegrityReport['orgs'] = [];
  for (const { id } of [...platform, ...orgs]) {
    const anchors = options.anchors?.get(id);
    results.push({ orgId: id, ...(await verifyAuditChain(db, id, anchors ? { anchors } : {})) });
  }
  return {
    checkedAt,
    ok: results.every((r) => r.ok),
    durationMs: Math.round(performance.now() - started),
    orgs: results,
  };
}
