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

  let query = db.selectFrom('audit_entries').selectAll().where('org_id', '=', orgId);
  if (filters.action !== undefined) query = query.where('action', '=', filters.action);
  if (filters.actorId !== undefined) query = query.where('actor_id', '=', filters.actorId);
  if (filters.resourceType !== undefined) query = query.where('resource_type', '=', filters.resourceType);
  if (filters.resourceId !== undefined) query = query.where('resource_id', '=', filters.resourceId);
  if (filters.from !== undefined) query = query.where('at', '>=', filters.from);
  if (filters.to !== undefined) query = query.where('at', '<', filters.to);
  if (filters.cursor !== undefined) query = query.where('seq', '<', filters.cursor);

  const rows = await query
    .orderBy('seq', 'desc')
    .limit(filters.limit + 1)
    .execute();
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      seq: Number(row.seq),
      at: row.at,
      actorId: row.actor_id,
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
