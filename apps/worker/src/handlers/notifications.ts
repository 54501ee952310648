import { createHash } from 'node:crypto';
import type { AtriumQueueCatalogue, QueueDefinition, QueuePayload } from '@atrium/domain';
import { AppError } from '@atrium/domain/errors';
import { dispatchNotification } from '@atrium/domain/notifications/dispatch';
import { notificationsDispatchQueue } from '@atrium/domain/notifications/queue';
import type { QueueHandler } from '../job-runner.ts';

type DispatchQueue = AtriumQueueCatalogue['notifications.dispatch'];

/**
 * The job id of a scheduled notification's delivery: a function of the event and the due time, so a
 * redelivered request job schedules the same job again and pg-boss drops the copy. RFC 9562 version 8.
 */
export function scheduledJobId(eventId: string, dueAt: Date): string {
  const hash = createHash('sha256').update(`${eventId}\u0000${dueAt.toISOString()}`).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x80;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * `notifications.dispatch` ← NotificationRequested (docs/notifications.md). Delivers through the
 * domain's dispatcher; a notification scheduled for later is handed back to the same queue as a job
 * that starts at its time (pg-boss `startAfter`), carrying the same envelope. Failures are thrown after
 * the dispatcher recorded them: pg-boss retries with the queue's backoff, and the job runner
 * dead-letters permanent and final ones.
 *
 * `queue` is the definition whose policy runs the jobs (tests bind a faster one).
 */
export function createNotificationsDispatchHandler<Q extends QueueDefinition = DispatchQueue>(
  queue: Q = notificationsDispatchQueue as unknown as Q,
): QueueHandler<Q> {
  return async (payload, { db, logger, services, job }) => {
    const event = payload as QueuePayload<DispatchQueue>;
    if (!event.orgId) throw new AppError('VALIDATION_ERROR', 'NotificationRequested without an org');
    const result = await dispatchNotification(
      {
        db,
        mailer: services.mailer,
        realtime: services.realtime,
        log: logger,
        queue,
      },
      {
        orgId: event.orgId,
        notificationId: event.payload.notificationId,
        lastDelivery: job.retryCount >= queue.retryLimit,
      },
    );
    if (result.outcome !== 'not-due') return result;
    if (!services.sendLater) {
      throw new AppError('INTERNAL', 'This worker cannot schedule jobs (no sendLater in its services)');
    }
    const id = scheduledJobId(event.eventId, result.dueAt);
    await services.sendLater(job.queue, event, { id, startAfter: result.dueAt });
    logger.debug(
      { notificationId: event.payload.notificationId, dueAt: result.dueAt, jobId: id },
      'scheduled',
    );
    return result;
  };
}

export const handleNotificationRequested: QueueHandler<DispatchQueue> = createNotificationsDispatchHandler();
