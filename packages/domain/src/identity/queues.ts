import { defineEventQueue } from '../events/queue-definition.ts';
import { EmailVerificationRequested, PasswordChanged, PasswordResetRequested } from './events.ts';

/**
 * Identity's queues, for the catalogue (events/catalogue.ts): one per email the identity events
 * cause. The worker binds each to the consumer of the same name in consumers.ts, which makes the
 * secret and queues the email as a notification; sending, its retries and dead letters belong to
 * `notifications.dispatch` (docs/notifications.md). A consumer that fails (the database) is retried
 * with backoff for about an hour, then dead-lettered.
 *
 * The names are also the consumers' inbox names.
 */
export const IDENTITY_CONSUMER_NAMES = {
  verification: 'identity.email-verification',
  passwordReset: 'identity.password-reset-email',
  passwordChanged: 'identity.password-changed',
} as const;

const MAIL_POLICY = {
  retryLimit: 8,
  retryDelaySeconds: 10,
  retryDelayMaxSeconds: 900,
  expireInSeconds: 60,
} as const;

export const emailVerificationQueue = defineEventQueue({
  name: IDENTITY_CONSUMER_NAMES.verification,
  events: [EmailVerificationRequested],
  ...MAIL_POLICY,
  // A code sent after a newer one would retire the newer: keep one user's codes in order.
  ordered: true,
});

export const passwordResetEmailQueue = defineEventQueue({
  name: IDENTITY_CONSUMER_NAMES.passwordReset,
  events: [PasswordResetRequested],
  ...MAIL_POLICY,
  ordered: true,
});

export const passwordChangedQueue = defineEventQueue({
  name: IDENTITY_CONSUMER_NAMES.passwordChanged,
  events: [PasswordChanged],
  ...MAIL_POLICY,
});

export const IDENTITY_QUEUES = [
  emailVerificationQueue,
  passwordResetEmailQueue,
  passwordChangedQueue,
] as const;
