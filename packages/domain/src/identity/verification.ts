import type { Database } from '@atrium/db';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { appendAudit } from '../audit/index.ts';
import { RateLimitedError, ValidationError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { digestsEqual, randomDigits, sha256Hex } from '../platform/tokens.ts';
import type { IdentityDeps, RequestOrigin } from './deps.ts';
import { EmailVerificationRequested, USER_AGGREGATE } from './events.ts';
import { findUserByEmail, normaliseEmail } from './users.ts';

export const VERIFICATION_CODE_TTL_SECONDS = 15 * 60;
export const VERIFICATION_CODE_MAX_ATTEMPTS = 5;

export const ZVerifyEmailInput = z.object({
  email: z.string().trim().min(3).max(320),
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, { message: 'Enter the 6-digit code from the email' }),
});
export type VerifyEmailInput = z.infer<typeof ZVerifyEmailInput>;

export const ZResendVerificationInput = z.object({ email: z.string().trim().min(3).max(320) });
export type ResendVerificationInput = z.infer<typeof ZResendVerificationInput>;

const WRONG_CODE = 'That code is not correct';
const EXPIRED_CODE = 'That code has expired. Request a new one';
const EXHAUSTED_CODE = 'That code was tried too many times. Request a new one';

// The code's digest is bound to its row, so equal codes of two users never share a digest.
function codeDigest(codeId: string, code: string): string {
  return sha256Hex(`${codeId}:${code}`);
}

/**
 * Makes a fresh 6-digit code for the user: stores only its digest (15-minute expiry), retires every
 * older unused code, and returns the plaintext for the email — its only copy. Runs in the consumer's
 * transaction (see consumers.ts), so a failed send leaves no code behind.
 */
export async function createVerificationCode(
  trx: Transaction<Database>,
  input: { userId: string; orgId: string; now: Date },
): Promise<{ code: string; expiresAt: Date }> {
  await trx
    .updateTable('email_verification_codes')
    .set({ consumed_at: input.now })
    .where('user_id', '=', input.userId)
    .where('consumed_at', 'is', null)
    .execute();
  const code = randomDigits(6);
  const id = crypto.randomUUID();
  const expiresAt = new Date(input.now.getTime() + VERIFICATION_CODE_TTL_SECONDS * 1000);
  await trx
    .insertInto('email_verification_codes')
    .values({
      id,
      user_id: input.userId,
      org_id: input.orgId,
      code_hash: codeDigest(id, code),
      expires_at: expiresAt,
      created_at: input.now,
    })
    .execute();
  return { code, expiresAt };
}

type VerifyOutcome = { kind: 'verified' } | { kind: 'refused'; message: string };

/**
 * `auth.verifyEmail`: the newest unused code of the address's user must match. A wrong code counts an
 * attempt (the fifth kills the code); an expired one says so; an unknown address, an already
 * verified one and a wrong code all answer the same 400.
 */
export async function verifyEmail(
  deps: Pick<IdentityDeps, 'db' | 'clock'>,
  input: VerifyEmailInput,
): Promise<{ verified: true }> {
  const now = deps.clock.now();
  const outcome = await deps.db.transaction().execute(async (trx): Promise<VerifyOutcome> => {
    const user = await findUserByEmail(trx, input.email);
    if (!user || user.email_verified_at) return { kind: 'refused', message: WRONG_CODE };
    const row = await trx
      .selectFrom('email_verification_codes')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('consumed_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { kind: 'refused', message: WRONG_CODE };
    if (row.attempts >= VERIFICATION_CODE_MAX_ATTEMPTS) return { kind: 'refused', message: EXHAUSTED_CODE };
    if (row.expires_at.getTime() <= now.getTime()) return { kind: 'refused', message: EXPIRED_CODE };
    if (!digestsEqual(row.code_hash, codeDigest(row.id, input.code))) {
      const counted = await trx
        .updateTable('email_verification_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', row.id)
        .returning('attempts')
        .executeTakeFirstOrThrow();
      return {
        kind: 'refused',
        message: counted.attempts >= VERIFICATION_CODE_MAX_ATTEMPTS ? EXHAUSTED_CODE : WRONG_CODE,
      };
    }
    await trx
      .updateTable('email_verification_codes')
      .set({ consumed_at: now })
      .where('id', '=', row.id)
      .execute();
    await trx
      .updateTable('users')
      .set({ email_verified_at: now, updated_at: now })
      .where('id', '=', user.id)
      .execute();
    await appendAudit(trx, {
      orgId: user.org_id,
      actorId: user.id,
      action: 'auth.email.verified',
      resourceType: 'user',
      resourceId: user.id,
    });
    return { kind: 'verified' };
  });
  // The attempt count commits before the refusal is answered.
  if (outcome.kind === 'refused') throw new ValidationError(outcome.message, { code: [outcome.message] });
  return { verified: true };
}

/**
 * `auth.resendVerification`: always answers the same, whether or not the address has an account
 * waiting for verification — except for the rate limit (one per minute, five per hour), which is
 * keyed by the address itself and so applies to unknown addresses exactly as to real ones. A new code
 * for an account waiting for verification is audited in its org (an unknown address has no org).
 */
export async function resendVerification(
  deps: Pick<IdentityDeps, 'db' | 'rateLimiter' | 'config'>,
  input: ResendVerificationInput & { origin: RequestOrigin },
): Promise<{ accepted: true }> {
  const email = normaliseEmail(input.email);
  const perMinute = await deps.rateLimiter.consume(
    `verify-resend:minute:${email}`,
    deps.config.resendPerMinute,
  );
  if (!perMinute.allowed)
    throw new RateLimitedError(perMinute.retryAfterSeconds, 'Wait a minute before asking again');
  const perHour = await deps.rateLimiter.consume(`verify-resend:hour:${email}`, deps.config.resendPerHour);
  if (!perHour.allowed)
    throw new RateLimitedError(perHour.retryAfterSeconds, 'Too many codes requested. Try again later');

  await deps.db.transaction().execute(async (trx) => {
    const user = await findUserByEmail(trx, email);
    if (!user || user.email_verified_at || user.status !== 'active') return;
    await writeOutboxEvent(trx, {
      orgId: user.org_id,
      type: EmailVerificationRequested,
      aggregateType: USER_AGGREGATE,
      aggregateId: user.id,
      payload: { userId: user.id },
    });
    await appendAudit(trx, {
      orgId: user.org_id,
      actorId: null,
      action: 'auth.email_verification.requested',
      resourceType: 'user',
      resourceId: user.id,
      payload: { ip: input.origin.ip },
    });
  });
  return { accepted: true };
}
