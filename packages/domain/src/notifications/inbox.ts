import { sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { NotFoundError } from '../errors.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import { type LogSink, silentLog } from '../platform/logger.ts';
import { validateInput } from '../platform/validate-input.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { publishQuietly } from '../realtime/publishers.ts';
import { scoped } from '../tenancy/scoped.ts';
import { type NotificationsDeps, notificationContent } from './admin.ts';
import { notificationKeyring } from './crypto.ts';

/**
 * The in-app inbox (SPEC §6): the caller's own delivered in-app notifications. The recipient reads
 * their own sensitive notifications in full — redaction protects them from admins, not from themselves.
 * Another user's notification is simply not found (404).
 */

/**
 * Published to the reader alone after `inbox.markRead` / `markAllRead` commit, so their other tabs and
 * devices update the unread badge and the inbox without polling. Payload: `{ ids: string[] }` for one,
 * `{ all: true, updated }` for all. A hint like every realtime event: the inbox is the truth.
 */
export const NOTIFICATION_READ_EVENT = 'notification.read';

/** The inbox's writes also tell the reader's other sessions, when the process can publish. */
export interface InboxDeps extends NotificationsDeps {
  realtime?: RealtimePublisher | null;
  log?: LogSink;
}

function announceRead(deps: InboxDeps, session: Session, payload: Record<string, unknown>) {
  return publishQuietly(
    deps.realtime,
    {
      orgId: session.orgId,
      type: NOTIFICATION_READ_EVENT,
      payload,
      audience: { userIds: [session.userId] },
    },
    deps.log ?? silentLog,
  );
}

export interface InboxItemDto {
  id: string;
  templateKey: string | null;
  subject: string;
  body: string;
  /** When it was delivered to the inbox. */
  deliveredAt: Date;
  readAt: Date | null;
}

export const ZInboxListInput = z.object({
  unreadOnly: z.boolean().default(false),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type InboxListInput = z.input<typeof ZInboxListInput>;

function inbox(deps: NotificationsDeps, session: Session) {
  return scoped(deps.db, session.orgId)
    .selectFrom('notifications')
    .where('recipient_user_id', '=', session.userId)
    .where('channel', '=', 'in_app')
    .where('status', '=', 'sent');
}

/** `inbox.list`: newest delivery first, keyset-paginated; `unreadOnly` for the unread ones. */
export async function listInbox(
  deps: NotificationsDeps,
  session: Session,
  rawInput: InboxListInput = {},
): Promise<{ items: InboxItemDto[]; nextCursor: string | null }> {
  const input = validateInput(ZInboxListInput, rawInput);
  const keyring = deps.keyring ?? notificationKeyring();
  let query = inbox(deps, session)
    .selectAll()
    .select(sql<string>`sent_at::text`.as('sent_at_text'))
    .orderBy('sent_at', 'desc')
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (input.unreadOnly) query = query.where('read_at', 'is', null);
  if (input.cursor) {
    const after = decodeTimeIdCursor(input.cursor);
    query = query.where(sql<boolean>`(sent_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)`);
  }
  const rows = await query.execute();
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => {
      const content = notificationContent(row, keyring);
      return {
        id: row.id,
        templateKey: row.template_key,
        subject: content.subject,
        body: content.body,
        deliveredAt: row.sent_at ?? row.created_at,
        readAt: row.read_at,
      };
    }),
    nextCursor: rows.length > input.limit && last ? encodeTimeIdCursor(last.sent_at_text, last.id) : null,
  };
}

export const ZInboxMarkReadInput = z.object({ id: z.uuid() });

/**
 * `inbox.markRead`: idempotent; keeps the first read time. Announces `notification.read` only when
 * this call is the one that read it.
 */
export async function markInboxRead(
  deps: InboxDeps,
  session: Session,
  rawInput: z.input<typeof ZInboxMarkReadInput>,
): Promise<{ id: string; readAt: Date }> {
  const { id } = validateInput(ZInboxMarkReadInput, rawInput);
  const row = await scoped(deps.db, session.orgId)
    .updateTable('notifications')
    .set({ read_at: sql`coalesce(read_at, now())` })
    .where('id', '=', id)
    .where('recipient_user_id', '=', session.userId)
    .where('channel', '=', 'in_app')
    .where('status', '=', 'sent')
    // now() is this statement's transaction time: equal only when this update set read_at.
    .returning(['id', 'read_at', sql<boolean>`read_at = now()`.as('newly_read')])
    .executeTakeFirst();
  if (!row?.read_at) throw new NotFoundError('Notification');
  if (row.newly_read) await announceRead(deps, session, { ids: [row.id] });
  return { id: row.id, readAt: row.read_at };
}

/** `inbox.markAllRead`: every unread delivered notification of the caller; returns how many. */
export async function markAllInboxRead(deps: InboxDeps, session: Session): Promise<{ updated: number }> {
  const result = await scoped(deps.db, session.orgId)
    .updateTable('notifications')
    .set({ read_at: sql`now()` })
    .where('recipient_user_id', '=', session.userId)
    .where('channel', '=', 'in_app')
    .where('status', '=', 'sent')
    .where('read_at', 'is', null)
    .executeTakeFirst();
  const updated = Number(result.numUpdatedRows);
  if (updated > 0) await announceRead(deps, session, { all: true, updated });
  return { updated };
}

/** `inbox.unreadCount`. */
export async function inboxUnreadCount(
  deps: NotificationsDeps,
  session: Session,
): Promise<{ count: number }> {
  const { count } = await inbox(deps, session)
    .where('read_at', 'is', null)
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return { count: Number(count) };
}
