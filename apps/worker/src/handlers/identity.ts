import type { AtriumQueueCatalogue } from '@atrium/domain';
import {
  deliverPasswordChangedNotice,
  deliverPasswordResetLink,
  deliverVerificationCode,
  type IdentityMailDeps,
} from '@atrium/domain/identity/consumers';
import type { HandlerContext, QueueHandler } from '../job-runner.ts';

/** Identity's emails (docs/identity.md, "Events and their consumers"): one queue per email. */
function mailDeps({ db, logger, services, job }: HandlerContext): IdentityMailDeps {
  // The emails are queued as notifications; notifications.dispatch sends them (docs/notifications.md).
  return { db, webBaseUrl: services.webBaseUrl, log: logger, consumer: job.queue };
}

type Queues = AtriumQueueCatalogue;

export const handleEmailVerificationRequested: QueueHandler<Queues['identity.email-verification']> = async (
  event,
  context,
) => {
  await deliverVerificationCode(mailDeps(context), event);
};

export const handlePasswordResetRequested: QueueHandler<Queues['identity.password-reset-email']> = async (
  event,
  context,
) => {
  await deliverPasswordResetLink(mailDeps(context), event);
};

export const handlePasswordChanged: QueueHandler<Queues['identity.password-changed']> = async (
  event,
  context,
) => {
  await deliverPasswordChangedNotice(mailDeps(context), event);
};
