import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { ConflictError, UnprocessableError } from '../errors.ts';
import type { QueueDefinition } from '../events/queue-definition.ts';
import { recordPlatformEventInTransaction } from '../logging/platform.ts';
import { type LogSink, silentLog } from '../platform/logger.ts';
import { isMailDeliveryError, type Mailer } from '../platform/mailer.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { scoped } from '../tenancy/scoped.ts';
import { notificationContent, notificationRecipientEmail } from './admin.ts';
import { type NotificationKeyring, notificationKeyring } from './crypto.ts';
import { notificationsDispatchQueue } from './queue.ts';
import { textToHtml } from './render.ts';

/**
 * Delivery of one notification (the worker's `notifications.dispatch` handler calls this for every
 * `NotificationRequested` job). An attempt runs in three steps:
 *
 * 1. **Claim** (one transaction, the row locked): skip a notification that is sent, failed or
 *    cancelled (a redelivered job does nothing); report one scheduled for later as not due; refuse
 *    while another attempt is in flight; otherwise insert attempt n with `ok = NULL` and commit.
 * 2. **Deliver** outside any transaction (no connection is held during SMTP): the mailer, or for an
 *    in-app notification nothing at all — its delivery is the status change itself.
 * 3. **Record** (one transaction): the attempt's outcome, and the notification's status — `sent`;
 *    `failed` on a permanent error or the last attempt; else still `pending` with `next_attempt_at`.
 *
 * Retries are pg-boss's (the queue policy): a failure is rethrown after it is recorded, and the job
 * runs again after its backoff. A permanent or final failure is thrown so that the job runner
 * dead-letters it at once.
 *
 * Exactly one send per attempt: the claim commits before the send, so a second delivery of the job
 * sees the attempt in flight and backs off, and after a success sees `sent`. If a worker dies between
 * claim and record, the attempt stays in flight until it is older than the queue's expiry (by then
 * pg-boss has handed the job out again); the next delivery closes it as "outcome unknown" and makes a
 * new attempt. That — a crash in the middle of an SMTP conversation — is the one case where a message
 * can arrive twice: SMTP offers no idempotency to rule it out. Both copies then carry the same
 * Message-ID (`notificationMessageId`), so mail systems that dedupe by it show one.
 */

/** The Message-ID every attempt of a notification carries. */
export function notificationMessageId(notificationId: string): string {
  return `<${notificationId}@notifications.atrium>`;
}

export interface DispatchDeps {
  db: Kysely<Database>;
  mailer: Pick<Mailer, 'send'>;
  /** Publishes `notification.new` for in-app deliveries, when the process has a realtime channel. */
  realtime?: RealtimePublisher | undefined;
  keyring?: NotificationKeyring;
  log?: LogSink;
  /** The queue whose retry policy runs the attempts: for next_attempt_at and the in-flight lease. */
  queue?: Pick<
    QueueDefinition,
    'retryDelaySeconds' | 'retryBackoff' | 'retryDelayMaxSeconds' | 'expireInSeconds'
  >;
}

export interface DispatchInput {
  orgId: string;
  notificationId: string;
  /** The queue will not run this job again: a failure now is final. */
  lastDelivery: boolean;
}

export type DispatchResult =
  | { outcome: 'sent'; attemptNo: number; providerMessageId: string | null }
  | { outcome: 'skipped'; reason: string }
  /** Scheduled for later: the caller arranges a delivery at `dueAt` (pg-boss startAfter). */
  | { outcome: 'not-due'; dueAt: Date };

/** Scheduled times within this margin of the database clock count as due. */
const DUE_MARGIN = "interval '1 second'";

/** The lower bound of pg-boss's delay before retry `n` (1-based); its jitter adds up to 100 %. */
export function retryDelaySeconds(
  policy: Pick<QueueDefinition, 'retryDelaySeconds' | 'retryBackoff' | 'retryDelayMaxSeconds'>,
  retry: number,
): number {
  if (!policy.retryBackoff) return policy.retryDelaySeconds;
  const delay = Math.max(policy.retryDelaySeconds, 1) * 2 ** Math.min(16, retry - 1);
  return policy.retryDelayMaxSeconds === null ? delay : Math.min(policy.retryDelayMaxSeconds, delay);
}

// Replies from mail servers often quote the recipient; the attempt log must not keep the address.
const ADDRESS = /[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+/g;

function errorText(error: unknown): string {
  const base = error instanceof Error ? error.message : String(error);
  const prefix = isMailDeliveryError(error)
    ? `${error.kind}${error.responseCode === undefined ? '' : ` ${error.responseCode}`}: `
    : '';
  return `${prefix}${base}`.replace(ADDRESS, '<address>').slice(0, 1_000);
}

interface Claimed {
  attemptNo: number;
  maxAttempts: number;
  channel: 'email' | 'in_app';
  email: string | null;
  recipientUserId: string | null;
  templateKey: string | null;
  subject: string;
  body: string;
  sensitive: boolean;
  sentAt?: Date;
}

type ClaimResult = { kind: 'claimed'; claimed: Claimed } | { kind: 'done'; result: DispatchResult };

export async function dispatchNotification(
  deps: DispatchDeps,
  input: DispatchInput,
): Promise<DispatchResult> {
  const keyring = deps.keyring ?? notificationKeyring();
  const log = deps.log ?? silentLog;
  const queue = deps.queue ?? notificationsDispatchQueue;
  const fields = { notificationId: input.notificationId, orgId: input.orgId };

  const claim = await deps.db.transaction().execute(async (trx): Promise<ClaimResult> => {
    const row = await scoped(trx, input.orgId)
      .selectFrom('notifications')
      .selectAll()
      .select(sql<boolean>`coalesce(scheduled_at > now() + ${sql.raw(DUE_MARGIN)}, false)`.as('not_due'))
      .where('id', '=', input.notificationId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { kind: 'done', result: { outcome: 'skipped', reason: 'notification not found' } };
    if (row.status === 'sent' || row.status === 'failed' || row.status === 'cancelled') {
      return { kind: 'done', result: { outcome: 'skipped', reason: `already ${row.status}` } };
    }
    if (row.status === 'scheduled' && row.not_due && row.scheduled_at) {
      return { kind: 'done', result: { outcome: 'not-due', dueAt: row.scheduled_at } };
    }

    const inFlight = await scoped(trx, input.orgId)
      .selectFrom('notification_attempts')
      .select([
        'attempt_no',
        sql<boolean>`at < now() - make_interval(secs => ${queue.expireInSeconds})`.as('stale'),
      ])
      .where('notification_id', '=', row.id)
      .where('ok', 'is', null)
      .executeTakeFirst();
    if (inFlight && !inFlight.stale) {
      // Another delivery of this notification is sending right now; this job retries later and
      // will find the outcome.
      throw new ConflictError('The notification is being delivered by another worker');
    }
    if (inFlight) {
      await scoped(trx, input.orgId)
        .updateTable('notification_attempts')
        .set({
          ok: false,
          error: 'interrupted: the worker stopped during this attempt; whether it was delivered is unknown',
          permanent: false,
          finished_at: sql`now()`,
        })
        .where('notification_id', '=', row.id)
        .where('attempt_no', '=', inFlight.attempt_no)
        .execute();
      log.warn({ ...fields, attemptNo: inFlight.attempt_no }, 'notification attempt interrupted; retrying');
    }

    const attemptNo = row.attempts + 1;
    const inApp = row.channel === 'in_app';
    await trx
      .insertInto('notification_attempts')
      .values({
        notification_id: row.id,
        org_id: row.org_id,
        attempt_no: attemptNo,
        // An in-app delivery is this transaction: it succeeds or nothing happened.
        ok: inApp ? true : null,
        at: sql`now()`,
        finished_at: inApp ? sql`now()` : null,
      })
      .execute();
    const updated = await scoped(trx, input.orgId)
      .updateTable('notifications')
      .set({
        attempts: attemptNo,
        status: inApp ? 'sent' : 'pending',
        sent_at: inApp ? sql`now()` : null,
        next_attempt_at: null,
        last_error: inApp ? null : row.last_error,
        updated_at: sql`now()`,
      })
      .where('id', '=', row.id)
      .returning(['sent_at'])
      .executeTakeFirstOrThrow();
    const content = notificationContent(row, keyring);
    return {
      kind: 'claimed',
      claimed: {
        attemptNo,
        maxAttempts: row.max_attempts,
        channel: row.channel,
        email: notificationRecipientEmail(row, keyring),
        recipientUserId: row.recipient_user_id,
        templateKey: row.template_key,
        subject: content.subject,
        body: content.body,
        sensitive: row.sensitive,
        ...(updated.sent_at ? { sentAt: updated.sent_at } : {}),
      },
    };
  });

  if (claim.kind === 'done') {
    log.info({ ...fields, ...claim.result }, 'notification dispatch: nothing to send');
    return claim.result;
  }
  const { claimed } = claim;

  if (claimed.channel === 'in_app') {
    await publishInApp(deps, log, input, claimed);
    log.info({ ...fields, attemptNo: claimed.attemptNo, channel: 'in_app' }, 'notification delivered');
    return { outcome: 'sent', attemptNo: claimed.attemptNo, providerMessageId: null };
  }

  let failure: unknown;
  let messageId: string | null = null;
  try {
    if (!claimed.email) throw new UnprocessableError('The notification has no recipient address');
    ({ messageId } = await deps.mailer.send({
      to: claimed.email,
      subject: claimed.subject,
      text: claimed.body,
      html: textToHtml(claimed.body),
      headers: { 'X-Atrium-Notification': input.notificationId },
      // One Message-ID per notification, whatever the attempt: a resend after an attempt whose outcome
      // is unknown (the worker died mid-conversation) is the same message to mail systems that dedupe.
      messageId: notificationMessageId(input.notificationId),
    }));
  } catch (error) {
    failure = error;
  }

  const permanent =
    failure !== undefined &&
    ((isMailDeliveryError(failure) && failure.permanent) ||
      (!isMailDeliveryError(failure) && failure instanceof UnprocessableError));
  const final =
    failure !== undefined && (permanent || input.lastDelivery || claimed.attemptNo >= claimed.maxAttempts);
  const error = failure === undefined ? null : errorText(failure);

  await deps.db.transaction().execute(async (trx) => {
    await scoped(trx, input.orgId)
      .updateTable('notification_attempts')
      .set({
        ok: failure === undefined,
        provider_message_id: messageId,
        error,
        permanent: failure === undefined ? null : permanent,
        finished_at: sql`now()`,
      })
      .where('notification_id', '=', input.notificationId)
      .where('attempt_no', '=', claimed.attemptNo)
      .execute();
    const delay = retryDelaySeconds(queue, claimed.attemptNo);
    await scoped(trx, input.orgId)
      .updateTable('notifications')
      .set(
        failure === undefined
          ? {
              status: 'sent',
              sent_at: sql`now()`,
              last_error: null,
              next_attempt_at: null,
              updated_at: sql`now()`,
            }
          : final
            ? {
                status: 'failed',
                failed_at: sql`now()`,
                last_error: error,
                next_attempt_at: null,
                updated_at: sql`now()`,
              }
            : {
                last_error: error,
                next_attempt_at: sql`now() + make_interval(secs => ${delay})`,
                updated_at: sql`now()`,
              },
      )
      .where('id', '=', input.notificationId)
      .execute();
    if (failure !== undefined && final) {
      // A notification failed for good: the platform's own failure, logged with the state change
      // (docs/logging.md); the built-in rule opens an incident when several fail.
      await recordPlatformEventInTransaction(
        trx,
        {},
        {
          orgId: input.orgId,
          source: 'platform.notifications',
          level: 'error',
          message: `A notification could not be delivered: ${error}`,
          attributes: { notificationId: input.notificationId, attempts: claimed.attemptNo, permanent },
        },
        { announce: true },
      );
    }
  });

  if (failure === undefined) {
    log.info({ ...fields, attemptNo: claimed.attemptNo, channel: 'email' }, 'notification delivered');
    return { outcome: 'sent', attemptNo: claimed.attemptNo, providerMessageId: messageId };
  }
  log.warn(
    { ...fields, attemptNo: claimed.attemptNo, permanent, final, error },
    final ? 'notification failed for good' : 'notification attempt failed; it will be retried',
  );
  // Permanent failures keep their own error (the job runner dead-letters them); a transient failure
  // on the last attempt is made permanent so the job is dead-lettered now rather than retried.
  if (final && !permanent) {
    throw new UnprocessableError(
      `The notification could not be delivered after ${claimed.attemptNo} attempts: ${error}`,
      { notificationId: input.notificationId, attempts: claimed.attemptNo },
    );
  }
  throw failure;
}

async function publishInApp(deps: DispatchDeps, log: LogSink, input: DispatchInput, claimed: Claimed) {
  if (!deps.realtime || !claimed.recipientUserId) return;
  try {
    await deps.realtime.publish({
      orgId: input.orgId,
      type: 'notification.new',
      // A sensitive notification's content is not broadcast: the client reads it from inbox.list.
      payload: {
        id: input.notificationId,
        templateKey: claimed.templateKey,
        subject: claimed.sensitive ? null : claimed.subject,
        body: claimed.sensitive ? null : claimed.body,
        deliveredAt: (claimed.sentAt ?? new Date()).toISOString(),
      },
      audience: { userIds: [claimed.recipientUserId] },
    });
  } catch (error) {
    // The inbox already has it; a missed live event is caught up by the next inbox.list.
    log.warn({ notificationId: input.notificationId, err: error }, 'could not publish notification.new');
  }
}
