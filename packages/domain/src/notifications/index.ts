/**
 * Notifications (SPEC §6, docs/notifications.md): templates, the notifications other modules queue
 * with `enqueueNotification`, their delivery by the worker, and the in-app inbox.
 */
export {
  cancelNotification,
  getNotification,
  type ListNotificationsInput,
  listNotifications,
  NOTIFICATION_STATUSES,
  type NotificationAttemptDto,
  type NotificationContent,
  type NotificationDetailDto,
  type NotificationDto,
  type NotificationsDeps,
  notificationContent,
  notificationRecipientEmail,
  type SendNotificationInput,
  sendNotification,
  ZListNotificationsInput,
  ZNotificationIdInput,
  ZSendNotificationInput,
} from './admin.ts';
export {
  configureNotificationKeys,
  configureNotificationKeysFromEnv,
  createNotificationKeyring,
  DEV_NOTIFICATIONS_ENCRYPTION_KEY,
  type NotificationKeyring,
  normaliseEmail,
  notificationKeyring,
  parseNotificationKey,
  recipientHash,
  recipientHashCandidates,
  ZNotificationKeyText,
  ZNotificationPreviousKeys,
} from './crypto.ts';
export {
  type DispatchDeps,
  type DispatchInput,
  type DispatchResult,
  dispatchNotification,
  retryDelaySeconds,
} from './dispatch.ts';
export {
  type EnqueueNotificationInput,
  type EnqueueOptions,
  type EnqueueRawNotificationInput,
  enqueueNotification,
  enqueueRawNotification,
  MAX_SCHEDULE_AHEAD_MS,
  type NotificationRecipient,
} from './enqueue.ts';
export { NOTIFICATION_AGGREGATE, NotificationRequested } from './events.ts';
export {
  type InboxItemDto,
  type InboxListInput,
  inboxUnreadCount,
  listInbox,
  markAllInboxRead,
  markInboxRead,
  ZInboxListInput,
  ZInboxMarkReadInput,
} from './inbox.ts';
export { DEFAULT_MAX_ATTEMPTS, NOTIFICATIONS_DISPATCH_QUEUE, notificationsDispatchQueue } from './queue.ts';
export {
  escapeHtml,
  type NotificationVariables,
  placeholdersOf,
  type RenderedNotification,
  renderTemplate,
  textToHtml,
  ZNotificationVariables,
} from './render.ts';
export {
  DEFAULT_LOCALE,
  deleteTemplate,
  getTemplate,
  type ListTemplatesInput,
  listTemplates,
  localeChain,
  type NotificationTemplateDto,
  resolveTemplate,
  type UpsertTemplateInput,
  upsertTemplate,
  ZListTemplatesInput,
  ZTemplateIdInput,
  ZUpsertTemplateInput,
} from './templates.ts';
