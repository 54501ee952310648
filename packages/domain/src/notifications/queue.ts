import { defineEventQueue } from '../events/queue-definition.ts';
import { NotificationRequested } from './events.ts';

export const NOTIFICATIONS_DISPATCH_QUEUE = 'notifications.dispatch';

/**
 * The dispatch queue (docs/notifications.md). Retries are pg-boss's: a failed attempt is recorded,
 * the handler throws, and pg-boss runs the job again after `15 s · 2^(n-1) · (1 + jitter)`, capped at
 * 30 min — 9 attempts over about 1 to 1.5 hours, long enough to ride out a mail provider's outage. A
 * permanent failure (SMTP 5xx, invalid address) or the last attempt marks the notification `failed`
 * and lands the job in `notifications.dispatch.dead-letter`.
 *
 * `expireInSeconds` must exceed the mailer's bound on one send (30 s): an attempt still in flight
 * after it is taken for a crashed worker's (see dispatch.ts).
 */
export const notificationsDispatchQueue = defineEventQueue({
  name: NOTIFICATIONS_DISPATCH_QUEUE,
  events: [NotificationRequested],
  retryLimit: 8,
  retryDelaySeconds: 15,
  retryBackoff: true,
  retryDelayMaxSeconds: 1_800,
  expireInSeconds: 120,
});

/** What `notifications.max_attempts` records for a new row: the queue's first try plus its retries. */
export const DEFAULT_MAX_ATTEMPTS = notificationsDispatchQueue.retryLimit + 1;
