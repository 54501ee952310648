import type { Database } from '@atrium/db';
import type { DeliveryResult } from '@atrium/domain/identity/consumers';
import { dispatchNotification } from '@atrium/domain/notifications/dispatch';
import type { Mailer } from '@atrium/domain/platform/mailer';
import type { Kysely } from 'kysely';

/**
 * What the worker's `notifications.dispatch` does for a notification an identity consumer queued:
 * sends it through `mailer` and returns the Message-ID. Throws what the dispatcher throws (a
 * MailDeliveryError when the server refuses).
 */
export async function dispatchQueued(
  db: Kysely<Database>,
  mailer: Pick<Mailer, 'send'>,
  queued: DeliveryResult,
): Promise<string> {
  if (!queued.queued) throw new Error(`nothing was queued: ${queued.reason}`);
  const row = await db
    .selectFrom('notifications')
    .select('org_id')
    .where('id', '=', queued.notificationId)
    .executeTakeFirstOrThrow();
  const result = await dispatchNotification(
    { db, mailer },
    { orgId: row.org_id, notificationId: queued.notificationId, lastDelivery: false },
  );
  if (result.outcome !== 'sent' || !result.providerMessageId) {
    throw new Error(`the notification was not sent: ${JSON.stringify(result)}`);
  }
  return result.providerMessageId;
}
