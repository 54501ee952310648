import { z } from 'zod';
import { refreshAuthorizationCache } from '../access/authorization.ts';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError, RateLimitedError, ValidationError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { hashPassword, verifyPassword } from '../platform/passwords.ts';
import type { IdentityDeps, RequestOrigin } from './deps.ts';
import { PasswordChanged, USER_AGGREGATE } from './events.ts';
import { assertStrongPassword, MAX_PASSWORD_LENGTH } from './password-policy.ts';
import { type IssuedSession, issueSession, revokeAllRefreshTokens } from './sessions.ts';
import { setPassword } from './users.ts';

export const ZChangePasswordInput = z.object({
  current: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  next: z.string().max(MAX_PASSWORD_LENGTH),
});
export type ChangePasswordInput = z.infer<typeof ZChangePasswordInput>;

const WRONG_CURRENT = 'Your current password is not correct';

/**
 * `auth.changePassword`. A wrong current password answers 400 VALIDATION_ERROR on `current` (not
 * 401: the caller *is* authenticated, and a 401 would make the client try to refresh its session);
 * wrong guesses are rate-limited per user. The new password must pass the strength rules and differ
 * from the current one. On success every refresh token of the user is revoked (other devices are
 * signed out), must_change_password is cleared, a `PasswordChanged` notice goes out, and a fresh
 * session is returned so this browser stays signed in.
 */
export async function changePassword(
  deps: IdentityDeps,
  session: Session,
  input: ChangePasswordInput & { origin: RequestOrigin },
): Promise<IssuedSession> {
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'org_id', 'email', 'password_hash'])
    .where('id', '=', session.userId)
    .where('org_id', '=', session.orgId)
    .executeTakeFirst();
  if (!user) throw new NotFoundError('User');

  const currentOk = user.password_hash ? await verifyPassword(user.password_hash, input.current) : false;
  if (!currentOk) {
    const limit = await deps.rateLimiter.consume(
      `change-password:${user.id}`,
      deps.config.changePasswordPerUser,
    );
    if (!limit.allowed)
      throw new RateLimitedError(limit.retryAfterSeconds, 'Too many wrong passwords. Try again later');
    throw new ValidationError(WRONG_CURRENT, { current: [WRONG_CURRENT] });
  }
  assertStrongPassword(input.next, { email: user.email }, 'next');
  if (input.next === input.current) {
    throw new ValidationError('Choose a password different from the current one', {
      next: ['Choose a password different from the current one'],
    });
  }
  const passwordHash = await hashPassword(input.next);
  const now = deps.clock.now();

  const issued = await deps.db.transaction().execute(async (trx) => {
    await setPassword(trx, { userId: user.id, passwordHash, now });
    const revoked = await revokeAllRefreshTokens(trx, user.id, now);
    const fresh = await issueSession(deps, trx, { userId: user.id, origin: input.origin, now });
    await writeOutboxEvent(trx, {
      orgId: user.org_id,
      type: PasswordChanged,
      aggregateType: USER_AGGREGATE,
      aggregateId: user.id,
      payload: { userId: user.id, via: 'change' },
    });
    await appendAudit(trx, {
      orgId: user.org_id,
      actorId: user.id,
      action: 'auth.password.changed',
      resourceType: 'user',
      resourceId: user.id,
      payload: { revokedSessions: revoked, ip: input.origin.ip },
    });
    return fresh;
  });
  await refreshAuthorizationCache(deps, user.id);
  const { refreshTokenId: _, ...signedIn } = issued;
  return signedIn;
}
