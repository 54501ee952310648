import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/**
 * A notification was stored and must be delivered (now, or at its scheduled time). The payload names
 * the row only: recipient and content stay in the database, encrypted where they must be.
 */
export const NotificationRequested = defineEvent(
  'NotificationRequested',
  z.object({ notificationId: z.uuid(), channel: z.enum(['email', 'in_app']) }),
);

export const NOTIFICATION_AGGREGATE = 'notification';
