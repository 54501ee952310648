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

/**
 * Someone asked for a reset link for an address. Written for every request, known address or not, so
 * the request path does the same work either way (no timing oracle); the consumer finds the account.
 * The address travels sealed with the platform's data key (`emailSealed`, base64), never in clear.
 * Events written before this change carry the `userId` of a known account instead.
 */
export const PasswordResetRequested = defineEvent(
  'PasswordResetRequested',
  z.union([
    z.object({ emailSealed: z.string().min(1).max(2000), ip: z.string().max(100).nullable() }),
    z.object({ userId: z.uuid() }),
  ]),
);

export const USER_AGGREGATE = 'user';
