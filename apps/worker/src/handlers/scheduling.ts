import type { AtriumQueueCatalogue } from '@atrium/domain';
import { noticeScheduleQuarantined } from '@atrium/domain/scheduling/quarantine-notice';
import type { QueueHandler } from '../job-runner.ts';

/**
 * `scheduling.quarantine-notice` ← ScheduleQuarantined: every active platform operator gets the
 * `incident-opened` email and in-app notice, and their org a live `incident.opened` (docs/scheduler.md).
 */
export const handleScheduleQuarantined: QueueHandler<
  AtriumQueueCatalogue['scheduling.quarantine-notice']
> = async (event, { db, logger, services, job }) => {
  const result = await noticeScheduleQuarantined(
    { db, realtime: services.realtime, webBaseUrl: services.webBaseUrl, log: logger, consumer: job.queue },
    event,
  );
  if (result.processed) {
    logger.info(
      { scheduleId: event.payload.scheduleId, operators: result.recipients.length },
      'quarantine notice queued for the operators',
    );
  }
  return result;
};
