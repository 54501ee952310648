import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ZDate, ZSeqText } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';
import { AUDIT_NAME_PATTERN } from './actions.ts';

/**
 * audit.list input: filters, a cursor and a page size. `from` is inclusive, `to` exclusive. The
 * cursor is opaque to clients (today: the seq of the page's last entry).
 */
export const ZListAuditInput = z.object({
  action: z.string().max(100).regex(AUDIT_NAME_PATTERN, 'Not an action name').optional(),
  actorId: z.guid().optional(),
  resourceType: z.string().max(100).regex(AUDIT_NAME_PATTERN, 'Not a resource type').optional(),
  resourceId: z.string().min(1).max(512).optional(),
  from: ZDate.optional(),
  to: ZDate.optional(),
  cursor: ZSeqText.optional(),
  limit: z.number().int().min(1).max(100).default(50),
});
export type ListAuditInput = z.input<typeof ZListAuditInput>;

/** One audit entry as clients see it. `seq` is a number: per-org sequences stay far below 2^53. */
export interface AuditEntryDto {
  seq: number;
  at: Date;
  actorId: string | null;
  /** The actor's current name (null for the system, or a user since deleted). */
  actorName: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  payload: unknown;
  payloadHash: string;
  prevChecksum: string;
  checksum: string;
}

export interface AuditPage {
  items: AuditEntryDto[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** The org's audit entries, newest first, filtered; never another org's. */
export async function listAudit(
  db: Kysely<Database>,
  orgId: string,
  input: ListAuditInput = {},
): Promise<AuditPage> {
  const filters = validateInput(ZListAuditInput, input, 'Invalid audit filters');

  const rows = await filteredQuery(db, orgId, filters)
    .orderBy('audit_entries.seq', 'desc')
    .limit(filters.limit + 1)
    .execute();
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      seq: Number(row.seq),
      at: row.at,
      actorId: row.actor_id,
      actorName: row.actor_name,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      payload: row.payload,
      payloadHash: row.payload_hash,
      prevChecksum: row.prev_checksum,
      checksum: row.checksum,
    })),
    nextCursor: rows.length > filters.limit && last ? last.seq : null,
  };
}

function filteredQuery(db: Kysely<Database>, orgId: string, filters: z.infer<typeof ZListAuditInput>) {
  let query = db
    .selectFrom('audit_entries')
    .leftJoin('users', 'users.id', 'audit_entries.actor_id')
    .selectAll('audit_entries')
    .select('users.name as actor_name')
    .where('audit_entries.org_id', '=', orgId);
  if (filters.action !== undefined) query = query.where('audit_entries.action', '=', filters.action);
  if (filters.actorId !== undefined) query = query.where('audit_entries.actor_id', '=', filters.actorId);
  if (filters.resourceType !== undefined) {
    query = query.where('audit_entries.resource_type', '=', filters.resourceType);
  }
  if (filters.resourceId !== undefined)
    query = query.where('audit_entries.resource_id', '=', filters.resourceId);
  if (filters.from !== undefined) query = query.where('audit_entries.at', '>=', filters.from);
  if (filters.to !== undefined) query = query.where('audit_entries.at', '<', filters.to);
  if (filters.cursor !== undefined) query = query.where('audit_entries.seq', '<', filters.cursor);
  return query;
}

export interface AuditFilterOptions {
  /** Every action the chain holds, alphabetically. */
  actions: string[];
  /** Everyone who acted in the chain, by name (the system is not a person: absent). */
  actors: Array<{ id: string; name: string | null }>;
}

/** What the audit log's filter lists offer: the actions and the people the chain actually holds. */
export async function auditFilterOptions(db: Kysely<Database>, orgId: string): Promise<AuditFilterOptions> {
  const [actions, actors] = await Promise.all([
    db
      .selectFrom('audit_entries')
      .select('action')
      .distinct()
      .where('org_id', '=', orgId)
      .orderBy('action')
      .limit(500)
      .execute(),
    db
      .selectFrom('audit_entries')
      .leftJoin('users', 'users.id', 'audit_entries.actor_id')
      .select(['audit_entries.actor_id as id', 'users.name as name'])
      .distinct()
      .where('audit_entries.org_id', '=', orgId)
      .where('audit_entries.actor_id', 'is not', null)
      .orderBy('users.name')
      .limit(500)
      .execute(),
  ]);
  return {
    actions: actions.map((row) => row.action),
    actors: actors.flatMap((row) => (row.id ? [{ id: row.id, name: row.name }] : [])),
  };
}

/** Rows an export holds at most; narrow the filters for more. */
export const MAX_AUDIT_EXPORT_ROWS = 10_000;

export const ZExportAuditInput = ZListAuditInput.omit({ cursor: true, limit: true });
export type ExportAuditInput = z.input<typeof ZExportAuditInput>;

/**
 * The filtered entries as CSV (newest first, at most MAX_AUDIT_EXPORT_ROWS): seq, time (ISO 8601,
 * UTC), actor id and name, action, resource, payload (JSON) and the chain fields, so an export can be
 * checked against the chain. Cells that a spreadsheet would read as a formula are prefixed with '.
 */
export async function exportAuditCsv(
  db: Kysely<Database>,
  orgId: string,
  input: ExportAuditInput = {},
): Promise<{ csv: string; rows: number; truncated: boolean }> {
  const filters = validateInput(ZExportAuditInput, input, 'Invalid audit filters');
  const rows = await filteredQuery(db, orgId, { ...filters, limit: MAX_AUDIT_EXPORT_ROWS })
    .orderBy('audit_entries.seq', 'desc')
    .limit(MAX_AUDIT_EXPORT_ROWS + 1)
    .execute();
  const kept = rows.slice(0, MAX_AUDIT_EXPORT_ROWS);
  const header = [
    'seq',
    'at',
    'actor_id',
    'actor_name',
    'action',
    'resource_type',
    'resource_id',
    'payload',
    'payload_hash',
    'prev_checksum',
    'checksum',
  ];
  const lines = [header.join(',')];
  for (const row of kept) {
    lines.push(
      [
        row.seq,
        row.at.toISOString(),
        row.actor_id,
        row.actor_name,
        row.action,
        row.resource_type,
        row.resource_id,
        row.payload === null ? null : JSON.stringify(row.payload),
        row.payload_hash,
        row.prev_checksum,
        row.checksum,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return {
    csv: `${lines.join('\r\n')}\r\n`,
    rows: kept.length,
    truncated: rows.length > MAX_AUDIT_EXPORT_ROWS,
  };
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
