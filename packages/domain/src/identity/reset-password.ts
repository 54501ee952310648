import { randomUUID } from 'node:crypto';
import type { Database } from '@atrium/db';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { refreshAuthorizationCache } from '../access/authorization.ts';
import { appendAudit } from '../audit/index.ts';
import { ValidationError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { notificationKeyring, open, seal } from '../notifications/crypto.ts';
import { hashPassword } from '../platform/passwords.ts';
import { digestsEqual, randomToken, sha256Hex } from '../platform/tokens.ts';
import type { IdentityDeps, RequestOrigin } from './deps.ts';
import { PasswordChanged, PasswordResetRequested, USER_AGGREGATE } from './events.ts';
import { signInFailureKeys } from './login.ts';
import { assertStrongPassword, MAX_PASSWORD_LENGTH } from './password-policy.ts';
import { revokeAllRefreshTokens } from './sessions.ts';
import { normaliseEmail, setPassword } from './users.ts';

export const PASSWORD_RESET_TTL_SECONDS = 30 * 60;

export const ZRequestPasswordResetInput = z.object({ email: z.string().trim().min(3).max(320) });
export type RequestPasswordResetInput = z.infer<typeof ZRequestPasswordResetInput>;

export const ZResetPasswordInput = z.object({
  token: z.string().trim().min(20).max(200),
  password: z.string().max(MAX_PASSWORD_LENGTH),
});
export type ResetPasswordInput = z.infer<typeof ZResetPasswordInput>;

const INVALID_RESET = 'This reset link is invalid or has expired. Request a new one';

const SEALED_ADDRESS_CONTEXT = 'identity:password-reset-request';

/** The address as the reset request's event carries it: sealed with the platform's data key. */
export function sealAddress(email: string): string {
  return seal(notificationKeyring(), email, SEALED_ADDRESS_CONTEXT).toString('base64');
}

export function openSealedAddress(sealed: string): string {
  return open(notificationKeyring(), Buffer.from(sealed, 'base64'), SEALED_ADDRESS_CONTEXT);
}

/**
 * `auth.requestPasswordReset`: always `{ accepted: true }`, after the same work for every address —
 * the quiet limits per address and per IP, then one outbox event carrying the sealed address. Whether
 * an account exists is found out only by the consumer, after the answer (so neither the answer nor its
 * timing says which happened); it makes the single-use link and mails it.
 */
export async function requestPasswordReset(
  deps: Pick<IdentityDeps, 'db' | 'rateLimiter' | 'config' | 'log'>,
  input: RequestPasswordResetInput & { origin: RequestOrigin },
): Promise<{ accepted: true }> {
  const email = normaliseEmail(input.email);
  const [perEmail, perIp] = await Promise.all([
    deps.rateLimiter.consume(`reset-request:email:${sha256Hex(email)}`, deps.config.resetRequestPerEmail),
    deps.rateLimiter.consume(
      `reset-request:ip:${input.origin.ip ?? 'unknown'}`,
      deps.config.resetRequestPerIp,
    ),
  ]);
  if (!perEmail.allowed || !perIp.allowed) {
    deps.log.info({ ip: input.origin.ip }, 'password reset request dropped by rate limit');
    return { accepted: true };
  }
  await deps.db.transaction().execute((trx) =>
    writeOutboxEvent(trx, {
      orgId: null,
      type: PasswordResetRequested,
      aggregateType: 'password_reset_request',
      aggregateId: randomUUID(),
      payload: { emailSealed: sealAddress(email), ip: input.origin.ip },
    }),
  );
  return { accepted: true };
}

/**
 * Makes a single-use reset token for the user (30 minutes; only its SHA-256 is stored), retiring any
 * older unused one, and returns the token for the link. Runs in the consumer's transaction.
 */
export async function createPasswordResetToken(
  trx: Transaction<Database>,
  input: { userId: string; orgId: string; now: Date },
): Promise<{ token: string; expiresAt: Date }> {
  await trx
    .updateTable('password_reset_tokens')
    .set({ expires_at: input.now })
    .where('user_id', '=', input.userId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', input.now)
    .execute();
  const token = randomToken(32);
  const expiresAt = new Date(input.now.getTime() + PASSWORD_RESET_TTL_SECONDS * 1000);
  await trx
    .insertInto('password_reset_tokens')
    .values({
      user_id: input.userId,
      org_id: input.orgId,
      token_hash: sha256Hex(token),
      expires_at: expiresAt,
      created_at: input.now,
    })
    .execute();
  return { token, expiresAt };
}

type ResetOutcome = { kind: 'done' } | { kind: 'invalid' };

/**
 * `auth.resetPassword`: an unknown, used or expired token → 400 (one message for all three). The
 * new password must pass the strength rules. Sets it, marks the token used, signs out every session,
 * clears a lockout and must_change_password, and — the link proved the mailbox — marks the address
 * verified. Does not sign in: the user signs in with the new password.
 */
export async function resetPassword(
  deps: Pick<IdentityDeps, 'db' | 'clock' | 'authzCache' | 'rateLimiter'>,
  input: ResetPasswordInput & { origin: RequestOrigin },
): Promise<{ reset: true }> {
  const digest = sha256Hex(input.token);
  const now = deps.clock.now();
  const candidate = await deps.db
    .selectFrom('password_reset_tokens')
    .innerJoin('users', 'users.id', 'password_reset_tokens.user_id')
    .select(['password_reset_tokens.token_hash', 'users.email', 'users.id as user_id'])
    .where('password_reset_tokens.token_hash', '=', digest)
    .where('password_reset_tokens.used_at', 'is', null)
    .where('password_reset_tokens.expires_at', '>', now)
    .where('users.status', '=', 'active')
    .executeTakeFirst();
  if (!candidate || !digestsEqual(candidate.token_hash, digest)) {
    throw new ValidationError(INVALID_RESET, { token: [INVALID_RESET] });
  }
  assertStrongPassword(input.password, { email: candidate.email });
  const passwordHash = await hashPassword(input.password);

  const outcome = await deps.db.transaction().execute(async (trx): Promise<ResetOutcome> => {
    // Locked and re-checked: two uses of one link race, one wins.
    const row = await trx
      .selectFrom('password_reset_tokens')
      .select(['id', 'user_id', 'org_id', 'used_at', 'expires_at'])
      .where('token_hash', '=', digest)
      .forUpdate()
      .executeTakeFirst();
    if (!row || row.used_at || row.expires_at.getTime() <= now.getTime()) return { kind: 'invalid' };
    await trx.updateTable('password_reset_tokens').set({ used_at: now }).where('id', '=', row.id).execute();
    await setPassword(trx, { userId: row.user_id, passwordHash, now });
    await trx
      .updateTable('users')
      .set((eb) => ({ email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(now)) }))
      .where('id', '=', row.user_id)
      .execute();
    const revoked = await revokeAllRefreshTokens(trx, row.user_id, now);
    await writeOutboxEvent(trx, {
      orgId: row.org_id,
      type: PasswordChanged,
      aggregateType: USER_AGGREGATE,
      aggregateId: row.user_id,
      payload: { userId: row.user_id, via: 'reset' },
    });
    await appendAudit(trx, {
      orgId: row.org_id,
      actorId: row.user_id,
      action: 'auth.password_reset.completed',
      resourceType: 'user',
      resourceId: row.user_id,
      payload: { revokedSessions: revoked, ip: input.origin.ip },
    });
    return { kind: 'done' };
  });
  if (outcome.kind === 'invalid') throw new ValidationError(INVALID_RESET, { token: [INVALID_RESET] });
  // The mailbox owner proved themselves: strangers' guesses no longer stand between them and a new device.
  const email = normaliseEmail(candidate.email);
  await deps.rateLimiter.reset(signInFailureKeys({ email, ip: null, deviceId: null }).account);
  await refreshAuthorizationCache(deps, candidate.user_id);
  return { reset: true };
}
