import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/**
 * A schedule failed `max_consecutive_failures` occurrences in a row and was quarantined: it runs no
 * more until an operator unquarantines it. Platform-level (org null). The incidents module (SPEC §7)
 * subscribes to it to open an incident for the operators; until then it is in the outbox and the
 * scheduler logs it at error level.
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
