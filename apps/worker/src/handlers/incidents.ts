import type { AtriumQueueCatalogue } from '@atrium/domain';
import { noticeIncidentOpened } from '@atrium/domain/logging/incidents';
import type { QueueHandler } from '../job-runner.ts';

/**
 * `incidents.notice` ← IncidentOpened: the org's admins (and, for the built-in platform rules, the
 * operators) get the `incident-opened` email and in-app notice, and `incident.opened` goes out live
 * (docs/logging.md).
 */
export const handleIncidentOpened: QueueHandler<AtriumQueueCatalogue['incidents.notice']> = async (
  event,
  { db, logger, services, job },
) => {
  const result = await noticeIncidentOpened(
    { db, realtime: services.realtime, webBaseUrl: services.webBaseUrl, log: logger, consumer: job.queue },
    event,
  );
  if (result.processed) {
    logger.info(
      { incidentId: event.payload.incidentId, recipients: result.recipients },
      'incident notice queued',
    );
  }
  return result;
};
