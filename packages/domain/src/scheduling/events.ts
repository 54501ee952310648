import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/**
 * A schedule failed `max_consecutive_failures` occurrences in a row and was quarantined: it runs no
 * more until an operator unquarantines it. Platform-level (org null). The worker's
 * `scheduling.quarantine-notice` consumer notifies every platform operator (email + in-app) and
 * publishes `incident.opened`, and opens a platform incident (docs/logging.md).
 */
export const ScheduleQuarantined = defineEvent(
  'ScheduleQuarantined',
  z.object({
    scheduleId: z.uuid(),
    name: z.string(),
    handler: z.string(),
    consecutiveFailures: z.number().int(),
    lastError: z.string().nullable(),
    quarantinedAt: z.iso.datetime({ offset: true }),
  }),
);

export const SCHEDULE_AGGREGATE = 'schedule';
