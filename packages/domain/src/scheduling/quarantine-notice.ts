import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { activeMembers } from '../access/members.ts';
import type { EnvelopeOf } from '../events/envelope.ts';
import { consumeOnce } from '../events/inbox.ts';
import { defineEventQueue } from '../events/queue-definition.ts';
import { recordPlatformEventInTransaction } from '../logging/platform.ts';
import { enqueueNotification } from '../notifications/enqueue.ts';
import type { LogSink } from '../platform/logger.ts';
import { silentLog } from '../platform/logger.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { publishQuietly } from '../realtime/publishers.ts';
import { ScheduleQuarantined } from './events.ts';

/**
 * The notice to the platform's operators when a schedule is quarantined (SPEC §8: "quarantine after
 * max_consecutive_failures → incident/notice to admins"). The quarantine is logged as a
 * `platform.scheduler` event, which the built-in `platform.schedule-quarantined` rule turns into a real
 * incident (no org: the operators'), in the same inbox transaction; every active operator gets the
 * `incident-opened` notice (email and in-app) and a live `incident.opened` event in their org. This
 * consumer tells them itself (the incident is opened without its own `IncidentOpened`), so nobody
 * hears of one quarantine twice.
 */

/** Queue name, which is also the consumer's inbox name. */
export const SCHEDULE_QUARANTINE_NOTICE_QUEUE = 'scheduling.quarantine-notice';

/**
 * Only writes notification rows (delivery, retries and attempts are the notifications dispatcher's),
 * so a mail outage never reaches it; retries cover a database hiccup.
 */
export const scheduleQuarantineNoticeQueue = defineEventQueue({
  name: SCHEDULE_QUARANTINE_NOTICE_QUEUE,
  events: [ScheduleQuarantined],
  retryLimit: 8,
  retryDelaySeconds: 5,
  retryDelayMaxSeconds: 600,
  expireInSeconds: 60,
});

/** Whose live `incident.opened` it is: schedules are operators' business (`scheduler.manage`). */
export const QUARANTINE_NOTICE_PERMISSION = 'scheduler.manage';

/** The severity the notice states: a schedule that runs no more needs a person. */
export const QUARANTINE_NOTICE_SEVERITY = 'high';

/** Upper bound on recipients of one notice (operators are a handful; this only bounds a mistake). */
const MAX_OPERATORS = 500;

export interface QuarantineNoticeDeps {
  db: Kysely<Database>;
  /** Live `incident.opened` to each operator's org (optional; failures are logged, never retried). */
  realtime?: RealtimePublisher | null;
  /**
   * The web app's origin: the email links to `${webBaseUrl}/ops/schedules/<id>`. Without it (and in
   * the in-app notice and the live event, which the web app opens itself) the link is the path.
   */
  webBaseUrl?: string;
  log?: LogSink;
  /** Inbox name; defaults to the queue name. */
  consumer?: string;
}

export interface QuarantineNoticeRecipient {
  userId: string;
  orgId: string;
}

export type QuarantineNoticeResult =
  | { processed: false; reason: 'already-processed' }
  | {
      processed: true;
      recipients: QuarantineNoticeRecipient[];
      notificationIds: string[];
      /** The incident the quarantine opened (null when one for the rule was already open). */
      incidentId: string | null;
    };

/** `Schedule "nightly-report" quarantined after 3 consecutive failures`. */
export function quarantineNoticeTitle(payload: { name: string; consecutiveFailures: number }): string {
  const n = payload.consecutiveFailures;
  return `Schedule "${payload.name}" quarantined after ${n} consecutive failure${n === 1 ? '' : 's'}`;
}

/** Where the operator console shows the schedule (web route `/ops/schedules/:id`). */
export function quarantineNoticePath(scheduleId: string): string {
  return `/ops/schedules/${scheduleId}`;
}

/**
 * `ScheduleQuarantined` → for every active platform operator (`platform_role = 'operator'`, in their
 * own org) an in-app notice and an email from the `incident-opened` template, all in one inbox
 * transaction, so a redelivered event queues nothing twice. After the commit each operator's org gets
 * a live `incident.opened` for holders of `scheduler.manage` (best effort, like every realtime hint).
 */
export async function noticeScheduleQuarantined(
  deps: QuarantineNoticeDeps,
  event: EnvelopeOf<typeof ScheduleQuarantined>,
): Promise<QuarantineNoticeResult> {
  const log = deps.log ?? silentLog;
  const { scheduleId, name, handler, consecutiveFailures, quarantinedAt } = event.payload;
  const title = quarantineNoticeTitle(event.payload);
  const path = quarantineNoticePath(scheduleId);
  const emailUrl = deps.webBaseUrl ? absolute(deps.webBaseUrl, path) : path;

  const outcome = await consumeOnce(
    deps.db,
    { consumer: deps.consumer ?? SCHEDULE_QUARANTINE_NOTICE_QUEUE, eventId: event.eventId },
    async (trx) => {
      // Operators are platform-wide (SPEC §1) and the schedule belongs to no org: every active
      // operator, whatever their org.
      const { openedIncidentIds } = await recordPlatformEventInTransaction(
        trx,
        {},
        {
          orgId: null,
          source: 'platform.scheduler',
          level: 'error',
          message: title,
          attributes: {
            scheduleId,
            schedule: name,
            handler,
            consecutiveFailures,
            lastError: event.payload.lastError,
          },
        },
        { announce: false },
      );
      const recipients = await activeMembers(trx, { platformRole: 'operator' }, { limit: MAX_OPERATORS });
      const notificationIds: string[] = [];
      for (const operator of recipients) {
        for (const channel of ['in_app', 'email'] as const) {
          const { id } = await enqueueNotification(trx, {
            orgId: operator.orgId,
            channel,
            to: { userId: operator.userId },
            templateKey: 'incident-opened',
            variables: {
              title,
              severity: QUARANTINE_NOTICE_SEVERITY,
              url: channel === 'email' ? emailUrl : path,
            },
          });
          notificationIds.push(id);
        }
      }
      return { recipients, notificationIds, incidentId: openedIncidentIds[0] ?? null };
    },
  );
  if (!outcome.processed) return { processed: false, reason: 'already-processed' };

  const { recipients, notificationIds, incidentId } = outcome.result;
  if (recipients.length === 0) {
    // The scheduler's error log line is then the only alarm; say so loudly.
    log.error(
      { eventId: event.eventId, scheduleId, schedule: name },
      'schedule quarantined but there is no active platform operator to notify',
    );
  }
  for (const orgId of new Set(recipients.map((recipient) => recipient.orgId))) {
    await publishQuietly(
      deps.realtime,
      {
        orgId,
        type: 'incident.opened',
        payload: {
          source: 'scheduler',
          eventId: event.eventId,
          incidentId,
          title,
          severity: QUARANTINE_NOTICE_SEVERITY,
          url: path,
          scheduleId,
          scheduleName: name,
          handler,
          consecutiveFailures,
          openedAt: quarantinedAt,
        },
        audience: { permission: QUARANTINE_NOTICE_PERMISSION },
      },
      log,
    );
  }
  return { processed: true, recipients, notificationIds, incidentId };
}

/** The path under the web app's origin, keeping a base path the origin may have (`…/atrium/`). */
function absolute(base: string, path: string): string {
  return new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`).toString();
}
