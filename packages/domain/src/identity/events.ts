import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/**
 * Identity's outbox events. Payloads carry ids only — never a code, token or password: the consumer
 * that sends the email generates the secret, stores its hash and puts the plaintext only in the mail.
 */

/** A verification code should be (re)sent to the user's address. */
export const EmailVerificationRequested = defineEvent(
  'EmailVerificationRequested',
  z.object({ userId: z.uuid() }),
);

/** The user's password changed (by the user, or through a reset link): send them a notice. */
export const PasswordChanged = defineEvent(
  'PasswordChanged',
  z.object({ userId: z.uuid(), via: z.enum(['change', 'reset']).optional() }),
);

/** Someone asked for a reset link for an existing, active account. */
export const PasswordResetRequested = defineEvent('PasswordResetRequested', z.object({ userId: z.uuid() }));

/** An admin created the account: generate a temporary password and send the welcome email. */
export const UserInvited = defineEvent('UserInvited', z.object({ userId: z.uuid() }));

export const USER_AGGREGATE = 'user';
