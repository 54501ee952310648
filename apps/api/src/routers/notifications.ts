import {
  cancelNotification,
  getNotification,
  listNotifications,
  type NotificationsDeps,
  sendNotification,
  ZListNotificationsInput,
  ZNotificationIdInput,
  ZSendNotificationInput,
} from '@atrium/domain/notifications/admin';
import {
  audienceReach,
  sendToAudience,
  ZAudienceReachInput,
  ZSendToAudienceInput,
} from '@atrium/domain/notifications/audience-send';
import { previewNotification, ZPreviewNotificationInput } from '@atrium/domain/notifications/preview';
import {
  deleteTemplate,
  getTemplate,
  listTemplates,
  upsertTemplate,
  ZListTemplatesInput,
  ZTemplateIdInput,
  ZUpsertTemplateInput,
} from '@atrium/domain/notifications/templates';
import type { Services } from '../services.ts';
import { permissionProcedure, router } from '../trpc.ts';

const send = permissionProcedure('notifications.send');

/** The notification use cases' ports: the database and the clock; the keyring is the process's. */
export function notificationsDeps(services: Pick<Services, 'db' | 'identity'>): NotificationsDeps {
  return {
    db: services.db,
    clock: services.identity.clock,
    emailQuotaPerHour: services.identity.config.emailQuotaPerHour,
  };
}

/**
 * Notifications of the caller's org (SPEC §6, docs/notifications.md). Everything here needs
 * `notifications.send`: whoever may send may see what was sent and manage the org's templates.
 * Sensitive notifications are listed with their content withheld.
 */
export const notificationsRouter = router({
  send: send
    .input(ZSendNotificationInput)
    .mutation(({ ctx, input }) => sendNotification(notificationsDeps(ctx.services), ctx.session, input)),
  /** How many people an audience (a role, everyone) reaches now: shown before sending. */
  audienceReach: send
    .input(ZAudienceReachInput)
    .query(({ ctx, input }) => audienceReach(notificationsDeps(ctx.services), ctx.session, input)),
  /** One notification per member of the audience; idempotent on `sendId`; all or nothing. */
  sendToAudience: send
    .input(ZSendToAudienceInput)
    .mutation(({ ctx, input }) => sendToAudience(notificationsDeps(ctx.services), ctx.session, input)),
  /** A template or a written message rendered as it will be sent, with sample values. */
  preview: send
    .input(ZPreviewNotificationInput)
    .query(({ ctx, input }) => previewNotification(notificationsDeps(ctx.services), ctx.session, input)),
  list: send
    .input(ZListNotificationsInput.optional())
    .query(({ ctx, input }) => listNotifications(notificationsDeps(ctx.services), ctx.session, input ?? {})),
  get: send
    .input(ZNotificationIdInput)
    .query(({ ctx, input }) => getNotification(notificationsDeps(ctx.services), ctx.session, input)),
  cancel: send
    .input(ZNotificationIdInput)
    .mutation(({ ctx, input }) =>
      cancelNotification(
        { ...notificationsDeps(ctx.services), jobs: ctx.services.ops.queues },
        ctx.session,
        input,
      ),
    ),

  /** Built-ins (read-only) and the org's overrides and own templates. */
  templates: router({
    list: send
      .input(ZListTemplatesInput.optional())
      .query(({ ctx, input }) => listTemplates(notificationsDeps(ctx.services), ctx.session, input ?? {})),
    get: send
      .input(ZTemplateIdInput)
      .query(({ ctx, input }) => getTemplate(notificationsDeps(ctx.services), ctx.session, input)),
    upsert: send
      .input(ZUpsertTemplateInput)
      .mutation(({ ctx, input }) => upsertTemplate(notificationsDeps(ctx.services), ctx.session, input)),
    delete: send
      .input(ZTemplateIdInput)
      .mutation(({ ctx, input }) => deleteTemplate(notificationsDeps(ctx.services), ctx.session, input)),
  }),
});
