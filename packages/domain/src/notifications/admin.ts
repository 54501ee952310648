import type { Database, NotificationChannel, NotificationStatus } from '@atrium/db';
import { type Kysely, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { OpsQueuePort } from '../ops/port.ts';
import type { Clock } from '../platform/clock.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField, ZDate } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { type NotificationKeyring, notificationKeyring, open, recipientHashCandidates } from './crypto.ts';
import {
  contentContext,
  enqueueNotification,
  enqueueRawNotification,
  recipientContext,
  type SealedContent,
  ZEmailAddress,
  ZRecipient,
} from './enqueue.ts';
import {
  assertNoPlatformVariables,
  assertNotPlatformTemplate,
  DEFAULT_EMAIL_QUOTA_PER_HOUR,
  loadNotificationPolicy,
  reserveEmailQuota,
  resolveAllowedRecipient,
} from './policy.ts';
import { notificationsDispatchQueue } from './queue.ts';
import { MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH, ZNotificationVariables } from './render.ts';
import { ZChannel, ZLocale, ZTemplateKey } from './templates.ts';

/** What the notification use cases run on. The keyring defaults to the process's (crypto.ts). */
export interface NotificationsDeps {
  db: Kysely<Database>;
  clock?: Clock;
  keyring?: NotificationKeyring;
  /** Emails people may cause per org per hour unless an operator set the org's own (policy.ts). */
  emailQuotaPerHour?: number;
  /**
   * The job queue, so cancelling a notification also cancels its delivery jobs still waiting
   * (a scheduled one waits for days). Without it the dispatcher still finds the row cancelled and
   * sends nothing, but the job would sit queued until its time.
   */
  jobs?: Pick<OpsQueuePort, 'list' | 'cancel'>;
}

export const NOTIFICATION_STATUSES = ['pending', 'scheduled', 'sent', 'failed', 'cancelled'] as const;

type NotificationRow = Selectable<Database['notifications']>;

export interface NotificationDto {
  id: string;
  channel: NotificationChannel;
  /** `name`: the member's current display name, when the notification is for a member of the org. */
  to: { userId: string | null; email: string | null; name: string | null };
  templateKey: string | null;
  locale: string;
  status: NotificationStatus;
  sensitive: boolean;
  /** True when subject, body and variables are withheld (sensitive notifications). */
  redacted: boolean;
  subject: string | null;
  scheduledAt: Date | null;
  attemptCount: number;
  maxAttempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  sentAt: Date | null;
  failedAt: Date | null;
  cancelledAt: Date | null;
  readAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NotificationAttemptDto {
  attemptNo: number;
  /** null while the attempt is in flight. */
  ok: boolean | null;
  providerMessageId: string | null;
  error: string | null;
  permanent: boolean | null;
  at: Date;
  finishedAt: Date | null;
}

export interface NotificationDetailDto extends NotificationDto {
  body: string | null;
  variables: Record<string, unknown> | null;
  attempts: NotificationAttemptDto[];
}

export interface NotificationContent {
  subject: string;
  body: string;
  variables: Record<string, unknown>;
}

/** Subject, body and variables of a row, opening the sealed copy of a sensitive one. */
export function notificationContent(row: NotificationRow, keyring: NotificationKeyring): NotificationContent {
  if (row.sensitive) {
    if (!row.content_enc) throw new Error(`notification ${row.id} is sensitive but has no sealed content`);
    return JSON.parse(open(keyring, row.content_enc, contentContext(row.id))) as SealedContent;
  }
  return { subject: row.subject ?? '', body: row.body ?? '', variables: row.variables ?? {} };
}

export function notificationRecipientEmail(
  row: NotificationRow,
  keyring: NotificationKeyring,
): string | null {
  return row.recipient_email_enc ? open(keyring, row.recipient_email_enc, recipientContext(row.id)) : null;
}

/** A notification row with its recipient's display name (`withRecipientName`). */
type NamedNotificationRow = NotificationRow & { recipient_name: string | null };

/**
 * Selects every notification column plus the recipient member's name, so lists name people rather
 * than ids. A scalar subquery (not a join) keeps the notification columns unambiguous.
 */
function notificationsWithRecipientName(db: Kysely<Database>, orgId: string) {
  return scoped(db, orgId)
    .selectFrom('notifications')
    .selectAll('notifications')
    .select((eb) =>
      eb
        .selectFrom('users')
        .select('users.name')
        .whereRef('users.id', '=', 'notifications.recipient_user_id')
        .whereRef('users.org_id', '=', 'notifications.org_id')
        .as('recipient_name'),
    );
}

function toDto(row: NamedNotificationRow, keyring: NotificationKeyring): NotificationDto {
  return {
    id: row.id,
    channel: row.channel,
    to: {
      userId: row.recipient_user_id,
      email: notificationRecipientEmail(row, keyring),
      name: row.recipient_name,
    },
    templateKey: row.template_key,
    locale: row.locale,
    status: row.status,
    sensitive: row.sensitive,
    redacted: row.sensitive,
    // Read from the plaintext column only: a sensitive row has none, and its seal is not opened here.
    subject: row.sensitive ? null : row.subject,
    scheduledAt: row.scheduled_at,
    attemptCount: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    sentAt: row.sent_at,
    failedAt: row.failed_at,
    cancelledAt: row.cancelled_at,
    readAt: row.read_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What a hand-sent notification says: a template and its variables, or a subject and body. */
export const ZNotificationContentInput = z.object({
  channel: ZChannel,
  templateKey: ZTemplateKey.optional(),
  subject: z.string().trim().min(1).max(MAX_SUBJECT_LENGTH).optional(),
  body: z.string().trim().min(1).max(MAX_BODY_LENGTH).optional(),
  variables: ZNotificationVariables.default({}),
  locale: ZLocale.optional(),
  scheduleAt: ZDate.optional(),
});

/** A template key, or a subject and body — not both, not neither; a locale only with a template. */
export function refineNotificationContent(
  input: { templateKey?: string; subject?: string; body?: string; locale?: string },
  ctx: z.RefinementCtx,
): void {
  const raw = input.subject !== undefined || input.body !== undefined;
  if (input.templateKey && raw) {
    ctx.addIssue({
      code: 'custom',
      path: ['templateKey'],
      message: 'Give a template key or a subject and body',
    });
  } else if (!input.templateKey) {
    if (input.subject === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['subject'],
        message: 'Give a template key or a subject and body',
      });
    if (input.body === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['body'],
        message: 'Give a template key or a subject and body',
      });
    if (input.locale !== undefined)
      ctx.addIssue({ code: 'custom', path: ['locale'], message: 'A locale picks a template translation' });
  }
}

export const ZSendNotificationInput = ZNotificationContentInput.extend({
  to: ZRecipient,
  sensitive: z.boolean().optional(),
}).superRefine(refineNotificationContent);
export type SendNotificationInput = z.input<typeof ZSendNotificationInput>;

async function loadDetail(
  db: Kysely<Database>,
  orgId: string,
  id: string,
  keyring: NotificationKeyring,
): Promise<NotificationDetailDto> {
  const row = await notificationsWithRecipientName(db, orgId)
    .where('notifications.id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Notification');
  const attempts = await scoped(db, orgId)
    .selectFrom('notification_attempts')
    .selectAll()
    .where('notification_id', '=', id)
    .orderBy('attempt_no')
    .execute();
  const content = row.sensitive ? null : notificationContent(row, keyring);
  return {
    ...toDto(row, keyring),
    body: content?.body ?? null,
    variables: content?.variables ?? null,
    attempts: attempts.map((attempt) => ({
      attemptNo: attempt.attempt_no,
      ok: attempt.ok,
      providerMessageId: attempt.provider_message_id,
      error: attempt.error,
      permanent: attempt.permanent,
      at: attempt.at,
      finishedAt: attempt.finished_at,
    })),
  };
}

/**
 * `notifications.send`: queues one notification from a template or from a subject and body, audited
 * as `notification.queued` in the same transaction. Returns the stored notification. Only to members
 * (unless an operator allowed external recipients), never a platform template or a platform-filled
 * variable, and emails within the org's hourly quota (policy.ts).
 */
export async function sendNotification(
  deps: NotificationsDeps,
  session: Session,
  rawInput: SendNotificationInput,
): Promise<NotificationDetailDto> {
  const input = validateInput(ZSendNotificationInput, rawInput);
  if (input.templateKey) assertNotPlatformTemplate(input.templateKey);
  assertNoPlatformVariables(input.variables);
  const keyring = deps.keyring ?? notificationKeyring();
  const options = { actorId: session.userId, clock: deps.clock, keyring };
  return deps.db.transaction().execute(async (trx) => {
    const policy = await loadNotificationPolicy(trx, session.orgId);
    const to = await resolveAllowedRecipient(trx, {
      orgId: session.orgId,
      channel: input.channel,
      to: input.to,
      policy,
    });
    if (input.channel === 'email') {
      await reserveEmailQuota(trx, {
        orgId: session.orgId,
        policy,
        defaultPerHour: deps.emailQuotaPerHour ?? DEFAULT_EMAIL_QUOTA_PER_HOUR,
      });
    }
    const common = {
      orgId: session.orgId,
      channel: input.channel,
      to,
      variables: input.variables,
      scheduleAt: input.scheduleAt,
      sensitive: input.sensitive,
    };
    const { id } = input.templateKey
      ? await enqueueNotification(
          trx,
          { ...common, templateKey: input.templateKey, locale: input.locale },
          options,
        )
      : await enqueueRawNotification(
          trx,
          { ...common, subject: input.subject ?? '', body: input.body ?? '' },
          options,
        );
    const detail = await loadDetail(trx, session.orgId, id, keyring);
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'notification.queued',
        resourceType: 'notification',
        resourceId: id,
        // Never the address or the content: the audit log outlives both.
        payload: {
          channel: detail.channel,
          templateKey: detail.templateKey,
          recipientUserId: detail.to.userId,
          status: detail.status,
          scheduledAt: detail.scheduledAt?.toISOString() ?? null,
          sensitive: detail.sensitive,
        },
      },
      { clock: deps.clock },
    );
    return detail;
  });
}

export const ZListNotificationsInput = z.object({
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  channel: ZChannel.optional(),
  /** Notifications sent to this address (matched through the lookup hash). */
  recipient: ZEmailAddress.optional(),
  /** Notifications for this user (in-app, or email sent to the user). */
  userId: z.uuid().optional(),
  templateKey: ZTemplateKey.optional(),
  /** The notifications one audience send queued (audience-send.ts). */
  sendId: z.uuid().optional(),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type ListNotificationsInput = z.input<typeof ZListNotificationsInput>;

/** `notifications.list`: the org's notifications, newest first; sensitive ones redacted. */
export async function listNotifications(
  deps: NotificationsDeps,
  session: Session,
  rawInput: ListNotificationsInput = {},
): Promise<{ items: NotificationDto[]; nextCursor: string | null }> {
  const input = validateInput(ZListNotificationsInput, rawInput);
  const keyring = deps.keyring ?? notificationKeyring();
  let query = notificationsWithRecipientName(deps.db, session.orgId)
    .select(sql<string>`notifications.created_at::text`.as('created_at_text'))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (input.status) query = query.where('status', '=', input.status);
  if (input.channel) query = query.where('channel', '=', input.channel);
  if (input.templateKey) query = query.where('template_key', '=', input.templateKey);
  if (input.userId) query = query.where('recipient_user_id', '=', input.userId);
  if (input.sendId) query = query.where('send_id', '=', input.sendId);
  if (input.recipient) {
    query = query.where('recipient_email_hash', 'in', recipientHashCandidates(keyring, input.recipient));
  }
  if (input.cursor) {
    const after = decodeTimeIdCursor(input.cursor);
    query = query.where(sql<boolean>`(created_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)`);
  }
  const rows = await query.execute();
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toDto(row, keyring)),
    nextCursor: rows.length > input.limit && last ? encodeTimeIdCursor(last.created_at_text, last.id) : null,
  };
}

export const ZNotificationIdInput = z.object({ id: z.uuid() });

/** `notifications.get`: one notification with its attempts; another org's → 404. */
export async function getNotification(
  deps: NotificationsDeps,
  session: Session,
  rawInput: z.input<typeof ZNotificationIdInput>,
): Promise<NotificationDetailDto> {
  const { id } = validateInput(ZNotificationIdInput, rawInput);
  return loadDetail(deps.db, session.orgId, id, deps.keyring ?? notificationKeyring());
}

/**
 * `notifications.cancel`: only while pending or scheduled and not being delivered at this moment;
 * otherwise 409. Its delivery jobs still waiting in `notifications.dispatch` are cancelled in the
 * same transaction; one that starts anyway (a worker took it a moment before) finds the row
 * cancelled and sends nothing.
 */
export async function cancelNotification(
  deps: NotificationsDeps,
  session: Session,
  rawInput: z.input<typeof ZNotificationIdInput>,
): Promise<NotificationDetailDto> {
  const { id } = validateInput(ZNotificationIdInput, rawInput);
  const keyring = deps.keyring ?? notificationKeyring();
  return deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, session.orgId)
      .selectFrom('notifications')
      .select(['id', 'status', 'channel', 'template_key'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Notification');
    if (row.status !== 'pending' && row.status !== 'scheduled') {
      throw new ConflictError(
        `Only pending or scheduled notifications can be cancelled; this one is ${row.status}`,
        {
          status: row.status,
        },
      );
    }
    const inFlight = await scoped(trx, session.orgId)
      .selectFrom('notification_attempts')
      .select('attempt_no')
      .where('notification_id', '=', id)
      .where('ok', 'is', null)
      .executeTakeFirst();
    if (inFlight) {
      throw new ConflictError('The notification is being delivered right now', { status: row.status });
    }
    await scoped(trx, session.orgId)
      .updateTable('notifications')
      .set({ status: 'cancelled', cancelled_at: sql`now()`, next_attempt_at: null, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
    let cancelledJobs = 0;
    if (deps.jobs) {
      const waiting = await deps.jobs.list(
        {
          selectors: [{ queue: notificationsDispatchQueue.name, states: ['created', 'retry'] }],
          orgId: session.orgId,
          search: { kind: 'data', data: { payload: { notificationId: id } } },
          order: 'oldest',
          limit: 100,
        },
        trx,
      );
      for (const job of waiting) {
        if (await deps.jobs.cancel(trx, job.queue, job.id)) cancelledJobs += 1;
      }
    }
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'notification.cancelled',
        resourceType: 'notification',
        resourceId: id,
        payload: {
          channel: row.channel,
          templateKey: row.template_key,
          previousStatus: row.status,
          cancelledJobs,
        },
      },
      { clock: deps.clock },
    );
    return loadDetail(trx, session.orgId, id, keyring);
  });
}
