import { type Database, preparedStatement } from '@atrium/db';
import { CompiledQuery, sql, type Transaction } from 'kysely';
import { AppError } from '../errors.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { AUDIT_NAME_PATTERN, type AuditAction, isAuditAction } from './actions.ts';
import { canonicalJson, checksumMiddle, formatAuditTime, GENESIS, sha256Hex } from './chain.ts';

/** One audited action, as a use case describes it. */
export interface AuditEntryInput {
  orgId: string;
  /** The user who did it; null for the system (a scheduler run, an unauthenticated failed sign-in). */
  actorId: string | null;
  action: AuditAction;
  /** What kind of thing it was done to, e.g. `user`, `role`, `content` (lower-case, dotted words). */
  resourceType: string;
  resourceId?: string | null;
  /**
   * What changed, for display (JSON-serialisable; never secrets). Stored as jsonb; the chain covers
   * its sha-256 (of canonical JSON). Absent = null.
   */
  payload?: unknown;
}

/** An entry as it was written: its place in the chain. */
export interface AppendedAuditEntry {
  orgId: string;
  seq: number;
  at: Date;
  checksum: string;
}

export interface AppendAuditOptions {
  clock?: Clock;
}

/** Canonical JSON of a payload larger than this is refused: the audit log is not a document store. */
export const MAX_AUDIT_PAYLOAD_BYTES = 64 * 1024;
const MAX_RESOURCE_ID_LENGTH = 512;
/** Rows per INSERT … SELECT FROM unnest(arrays): bounds one statement's size, not its parameter count. */
const INSERT_CHUNK = 5_000;

/**
 * appendAudit's one statement: locks the org's head, inserts the entry (PostgreSQL finishes its
 * checksum from the head's: org and seq as it prints them, `$2` the middle computed in JS, the previous
 * checksum) and moves the head. A named statement: each connection parses and plans it once.
 * $1 org, $2 checksum middle, $3 at, $4 actor, $5 action, $6 resource type, $7 resource id,
 * $8 payload (canonical JSON), $9 payload hash.
 */
const APPEND_STATEMENT = preparedStatement(
  'audit_append',
  `WITH head AS (
    SELECT org_id, seq + 1 AS seq, checksum AS prev FROM audit_heads WHERE org_id = $1 FOR UPDATE
  ), entry AS (
    SELECT org_id, seq, prev,
      encode(pg_catalog.sha256(convert_to(org_id::text || '|' || seq::text || '|' || $2::text || '|' || prev, 'UTF8')), 'hex') AS checksum
    FROM head
  ), inserted AS (
    INSERT INTO audit_entries
      (org_id, seq, at, actor_id, action, resource_type, resource_id, payload, payload_hash, prev_checksum, checksum)
    SELECT org_id, seq, $3::timestamptz, $4::uuid, $5::text, $6::text, $7::text, $8::jsonb, $9::text, prev, checksum
    FROM entry
  )
  UPDATE audit_heads SET seq = entry.seq, checksum = entry.checksum
  FROM entry WHERE audit_heads.org_id = $1
  RETURNING entry.seq, entry.checksum`,
);

interface AppendedRow {
  seq: string;
  checksum: string;
}

/**
 * Appends one entry to the org's audit chain, inside the caller's transaction, so the entry exists if
 * and only if the audited change commits.
 *
 * The org's head row is locked FOR UPDATE until that transaction ends: appends of one org are
 * serialised (no forks, no gaps), appends of different orgs do not wait for each other. One
 * statement locks the head, inserts the entry (PostgreSQL finishes its checksum from the head's) and
 * moves the head, so the lock is held for that statement and the commit only — provided the caller
 * makes it the last statement of the unit of work.
 */
export async function appendAudit(
  trx: Transaction<Database>,
  entry: AuditEntryInput,
  options: AppendAuditOptions = {},
): Promise<AppendedAuditEntry> {
  assertTransaction(trx);
  const orgId = normaliseUuid(entry.orgId, 'org id');
  const prepared = prepare(orgId, entry);
  const at = (options.clock ?? systemClock).now();
  const atText = formatAuditTime(at);
  const statement = CompiledQuery.raw(APPEND_STATEMENT, [
    orgId,
    checksumMiddle({ ...prepared, at: atText }),
    atText,
    prepared.actorId,
    prepared.action,
    prepared.resourceType,
    prepared.resourceId,
    prepared.payloadJson,
    prepared.payloadHash,
  ]);
  let written = (await trx.executeQuery<AppendedRow>(statement)).rows[0];
  if (!written) {
    // The org's first entry: create its head (a racing first append makes this a no-op) and retry.
    await createHead(trx, orgId);
    written = (await trx.executeQuery<AppendedRow>(statement)).rows[0];
  }
  if (!written) throw new AppError('INTERNAL', 'audit head row vanished while being locked');
  return { orgId, seq: Number(written.seq), at, checksum: written.checksum };
}

/**
 * Appends many entries of one org under one lock (bulk flows, imports, the bench): the head is locked,
 * the chain computed here, the rows inserted in a few `unnest` statements and the head moved. Entries
 * keep their order and share one `at`; an entry's `orgId`, when given, must be the batch's.
 */
export async function appendAuditBatch(
  trx: Transaction<Database>,
  orgId: string,
  entries: ReadonlyArray<Omit<AuditEntryInput, 'orgId'> & { orgId?: string }>,
  options: AppendAuditOptions = {},
): Promise<AppendedAuditEntry[]> {
  assertTransaction(trx);
  const org = normaliseUuid(orgId, 'org id');
  if (entries.length === 0) return [];
  // Everything that can be computed without the lock is, so the lock is held as briefly as possible.
  const prepared = entries.map((entry) => prepare(org, entry));

  const head = await lockHead(trx, org);
  const at = (options.clock ?? systemClock).now();
  // A Date holds milliseconds and timestamptz microseconds: the value round-trips exactly.
  const atText = formatAuditTime(at);

  const columns = {
    seq: [] as string[],
    actorId: [] as Array<string | null>,
    action: [] as string[],
    resourceType: [] as string[],
    resourceId: [] as Array<string | null>,
    payload: [] as Array<string | null>,
    payloadHash: [] as string[],
    prevChecksum: [] as string[],
    checksum: [] as string[],
  };
  let seq = head.seq;
  let prevChecksum = head.checksum;
  for (const entry of prepared) {
    seq += 1;
    const checksum = sha256Hex(`${org}|${seq}|${checksumMiddle({ ...entry, at: atText })}|${prevChecksum}`);
    columns.seq.push(String(seq));
    columns.actorId.push(entry.actorId);
    columns.action.push(entry.action);
    columns.resourceType.push(entry.resourceType);
    columns.resourceId.push(entry.resourceId);
    columns.payload.push(entry.payloadJson);
    columns.payloadHash.push(entry.payloadHash);
    columns.prevChecksum.push(prevChecksum);
    columns.checksum.push(checksum);
    prevChecksum = checksum;
  }

  for (let start = 0; start < prepared.length; start += INSERT_CHUNK) {
    const part = <T>(values: T[]) => values.slice(start, start + INSERT_CHUNK);
    await sql`
      INSERT INTO audit_entries
        (org_id, seq, at, actor_id, action, resource_type, resource_id, payload, payload_hash, prev_checksum, checksum)
      SELECT ${org}::uuid, e.seq, ${atText}::timestamptz, e.actor_id, e.action, e.resource_type, e.resource_id,
        e.payload, e.payload_hash, e.prev_checksum, e.checksum
      FROM unnest(${part(columns.seq)}::bigint[], ${part(columns.actorId)}::uuid[], ${part(columns.action)}::text[],
        ${part(columns.resourceType)}::text[], ${part(columns.resourceId)}::text[], ${part(columns.payload)}::jsonb[],
        ${part(columns.payloadHash)}::text[], ${part(columns.prevChecksum)}::text[], ${part(columns.checksum)}::text[])
        AS e(seq, actor_id, action, resource_type, resource_id, payload, payload_hash, prev_checksum, checksum)`.execute(
      trx,
    );
  }
  await trx
    .updateTable('audit_heads')
    .set({ seq, checksum: prevChecksum })
    .where('org_id', '=', org)
    .execute();

  return columns.seq.map((value, i) => ({
    orgId: org,
    seq: Number(value),
    at,
    checksum: columns.checksum[i]!,
  }));
}

interface PreparedEntry {
  actorId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  payloadJson: string | null;
  payloadHash: string;
}

function assertTransaction(trx: Transaction<Database>): void {
  if (!trx.isTransaction) {
    throw new AppError('INTERNAL', 'appendAudit must run inside the transaction of the audited change');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The chain hashes ids as PostgreSQL prints them (lower case, hyphenated), which is how verify reads
 * them back; any other spelling PostgreSQL would accept is refused rather than silently re-spelt.
 */
function normaliseUuid(value: string, what: string): string {
  if (!UUID.test(value)) throw new AppError('INTERNAL', `audit ${what} is not a UUID`);
  return value.toLowerCase();
}

function prepare(orgId: string, entry: Omit<AuditEntryInput, 'orgId'> & { orgId?: string }): PreparedEntry {
  // Writer bugs, not user input: they fail the unit of work as INTERNAL rather than skip the audit.
  if (entry.orgId !== undefined && entry.orgId.toLowerCase() !== orgId) {
    throw new AppError('INTERNAL', 'appendAuditBatch: every entry must belong to the batch org');
  }
  if (!isAuditAction(entry.action)) {
    throw new AppError('INTERNAL', `unknown audit action "${String(entry.action)}"`);
  }
  if (!AUDIT_NAME_PATTERN.test(entry.resourceType)) {
    throw new AppError('INTERNAL', `invalid audit resource type "${entry.resourceType}"`);
  }
  const resourceId = entry.resourceId ?? null;
  if (resourceId !== null && resourceId.length > MAX_RESOURCE_ID_LENGTH) {
    throw new AppError('INTERNAL', 'audit resource id is too long');
  }
  // The canonical text is both what is hashed and what is stored: jsonb re-orders keys, but its
  // value — and so the canonical text verify derives from it — is exactly this one.
  const payloadJson =
    entry.payload === undefined || entry.payload === null ? null : canonicalJson(entry.payload);
  if (payloadJson !== null && Buffer.byteLength(payloadJson) > MAX_AUDIT_PAYLOAD_BYTES) {
    throw new AppError('INTERNAL', `audit payload exceeds ${MAX_AUDIT_PAYLOAD_BYTES} bytes`);
  }
  return {
    actorId: entry.actorId === null ? null : normaliseUuid(entry.actorId, 'actor id'),
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId,
    payloadJson,
    payloadHash: sha256Hex(payloadJson ?? 'null'),
  };
}

async function createHead(trx: Transaction<Database>, orgId: string): Promise<void> {
  // Two first appends may race here: DO NOTHING lets the loser fall through to the lock and wait.
  await trx
    .insertInto('audit_heads')
    .values({ org_id: orgId, seq: 0, checksum: GENESIS })
    .onConflict((oc) => oc.column('org_id').doNothing())
    .execute();
}

/** Locks the org's chain head, creating it (empty chain) on the org's first append. */
async function lockHead(
  trx: Transaction<Database>,
  orgId: string,
): Promise<{ seq: number; checksum: string }> {
  const select = () =>
    trx
      .selectFrom('audit_heads')
      .select(['seq', 'checksum'])
      .where('org_id', '=', orgId)
      .forUpdate()
      .executeTakeFirst();
  let head = await select();
  if (!head) {
    await createHead(trx, orgId);
    head = await select();
  }
  if (!head) throw new AppError('INTERNAL', 'audit head row vanished while being locked');
  return { seq: Number(head.seq), checksum: head.checksum };
}
