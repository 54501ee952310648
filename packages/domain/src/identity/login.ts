import { z } from 'zod';
import { refreshAuthorizationCache } from '../access/authorization.ts';
import { appendAudit } from '../audit/index.ts';
import { ForbiddenError, RateLimitedError, UnauthenticatedError } from '../errors.ts';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../platform/passwords.ts';
import type { IdentityDeps, RequestOrigin } from './deps.ts';
import { MAX_PASSWORD_LENGTH } from './password-policy.ts';
import { type IssuedSession, issueSession } from './sessions.ts';
import { findUserByEmail, normaliseEmail } from './users.ts';

export const ZLoginInput = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});
export type LoginInput = z.infer<typeof ZLoginInput>;

export const INVALID_CREDENTIALS = 'Invalid credentials';
const LOCKED_MESSAGE = 'Too many failed sign-in attempts. Try again later';

type LoginOutcome =
  | { kind: 'ok'; session: IssuedSession; rehash: boolean }
  | { kind: 'invalid' }
  | { kind: 'locked'; retryAfterSeconds: number }
  | { kind: 'unverified' }
  | { kind: 'disabled' };

/**
 * `auth.login` (SPEC §1). The order of checks is the security design:
 *
 * 1. Rate limits, per client IP and per submitted email (existing or not), 5 per minute each; every
 *    attempt counts → 429 RATE_LIMITED with Retry-After.
 * 2. A locked account (10 consecutive failures → 15 minutes) answers 429 with the lock's remaining
 *    time and is not even checked. Unknown emails get the same treatment through a failure counter
 *    in the rate limiter, so a lock does not reveal that an account exists.
 * 3. Unknown email, an account without a password yet, and a wrong password all answer 401
 *    `Invalid credentials` after one argon2 verification (against a dummy hash when there is no real
 *    one) — same answer, same time.
 * 4. Only with the right password: disabled → 403 FORBIDDEN, unverified email → 403
 *    EMAIL_NOT_VERIFIED. Failures of a known account are audited under its org; unknown emails are
 *    only logged (there is no org to audit them in).
 * 5. Success resets the failure counter, stamps last_login_at, starts a session family and returns
 *    the access token and the refresh token (the API puts the latter in the cookie).
 */
export async function loginUser(
  deps: IdentityDeps,
  input: LoginInput & { origin: RequestOrigin },
): Promise<IssuedSession> {
  const { config, rateLimiter } = deps;
  const email = normaliseEmail(input.email);
  const ipKey = `login:ip:${input.origin.ip ?? 'unknown'}`;
  const [perIp, perAccount] = await Promise.all([
    rateLimiter.consume(ipKey, config.loginPerIp),
    rateLimiter.consume(`login:account:${email}`, config.loginPerAccount),
  ]);
  if (!perIp.allowed || !perAccount.allowed) {
    throw new RateLimitedError(
      Math.max(
        perIp.allowed ? 0 : perIp.retryAfterSeconds,
        perAccount.allowed ? 0 : perAccount.retryAfterSeconds,
      ),
      'Too many sign-in attempts. Try again later',
    );
  }

  const outcome = await attemptLogin(deps, email, input);
  switch (outcome.kind) {
    case 'ok':
      if (outcome.rehash) await upgradeHash(deps, outcome.session.user.id, input.password);
      // Warm the cache for the requests this session is about to make.
      await refreshAuthorizationCache(deps, outcome.session.user.id);
      return outcome.session;
    case 'invalid':
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    case 'locked':
      throw new RateLimitedError(outcome.retryAfterSeconds, LOCKED_MESSAGE);
    case 'unverified':
      throw new ForbiddenError('Verify your email address before signing in', 'EMAIL_NOT_VERIFIED');
    case 'disabled':
      throw new ForbiddenError('This account is disabled');
  }
}

async function attemptLogin(
  deps: IdentityDeps,
  email: string,
  input: LoginInput & { origin: RequestOrigin },
): Promise<LoginOutcome> {
  const { config } = deps;
  const now = deps.clock.now();
  const user = await findUserByEmail(deps.db, email);

  if (!user) {
    // The lockout an existing account would have, counted in the limiter (no row to count in).
    const ghost = await deps.rateLimiter.consume(`login:unknown-failures:${email}`, {
      limit: config.lockoutThreshold,
      windowSeconds: config.lockoutSeconds,
    });
    if (!ghost.allowed) return { kind: 'locked', retryAfterSeconds: ghost.retryAfterSeconds };
    await verifyAgainstDummy(input.password);
    deps.log.info({ ip: input.origin.ip }, 'sign-in failed: unknown email');
    return { kind: 'invalid' };
  }

  if (user.locked_until && user.locked_until.getTime() > now.getTime()) {
    return {
      kind: 'locked',
      retryAfterSeconds: Math.ceil((user.locked_until.getTime() - now.getTime()) / 1000),
    };
  }

  const passwordOk = user.password_hash
    ? await verifyPassword(user.password_hash, input.password)
    : await verifyAgainstDummy(input.password);

  return deps.db.transaction().execute(async (trx): Promise<LoginOutcome> => {
    if (!passwordOk) {
      // Counted atomically in the row, so parallel guesses cannot slip past the threshold.
      const counted = await trx
        .updateTable('users')
        .set((eb) => ({ failed_login_count: eb('failed_login_count', '+', 1) }))
        .where('id', '=', user.id)
        .returning(['failed_login_count'])
        .executeTakeFirstOrThrow();
      const locks = counted.failed_login_count >= config.lockoutThreshold;
      if (locks) {
        // The counter starts again, so the next lock needs another full run of failures.
        await trx
          .updateTable('users')
          .set({
            locked_until: new Date(now.getTime() + config.lockoutSeconds * 1000),
            failed_login_count: 0,
          })
          .where('id', '=', user.id)
          .execute();
      }
      await appendAudit(trx, {
        orgId: user.org_id,
        actorId: null,
        action: 'auth.login.failed',
        resourceType: 'user',
        resourceId: user.id,
        payload: {
          reason: user.password_hash ? 'wrong_password' : 'no_password',
          ip: input.origin.ip,
          consecutiveFailures: counted.failed_login_count,
          locked: locks,
        },
      });
      return { kind: 'invalid' };
    }

    if (user.status !== 'active' || !user.email_verified_at) {
      await appendAudit(trx, {
        orgId: user.org_id,
        actorId: null,
        action: 'auth.login.failed',
        resourceType: 'user',
        resourceId: user.id,
        payload: {
          reason: user.status !== 'active' ? 'disabled' : 'email_not_verified',
          ip: input.origin.ip,
        },
      });
      return user.status !== 'active' ? { kind: 'disabled' } : { kind: 'unverified' };
    }

    await trx
      .updateTable('users')
      .set({ failed_login_count: 0, locked_until: null, last_login_at: now })
      .where('id', '=', user.id)
      .execute();
    const session = await issueSession(deps, trx, { userId: user.id, origin: input.origin, now });
    await appendAudit(trx, {
      orgId: user.org_id,
      actorId: user.id,
      action: 'auth.login.succeeded',
      resourceType: 'user',
      resourceId: user.id,
      payload: { ip: input.origin.ip, userAgent: input.origin.userAgent },
    });
    const { refreshTokenId: _, ...issued } = session;
    return { kind: 'ok', session: issued, rehash: needsRehash(user.password_hash ?? '') };
  });
}

/** A hash made under older parameters is replaced while the plaintext is at hand. */
async function upgradeHash(deps: IdentityDeps, userId: string, password: string): Promise<void> {
  try {
    const passwordHash = await hashPassword(password);
    await deps.db
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', userId)
      .execute();
  } catch (error) {
    deps.log.warn({ err: error, userId }, 'could not upgrade a password hash');
  }
}
