import { z } from 'zod';
import { refreshAuthorizationCache } from '../access/authorization.ts';
import { appendAudit } from '../audit/index.ts';
import { ForbiddenError, RateLimitedError, UnauthenticatedError } from '../errors.ts';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../platform/passwords.ts';
import { sha256Hex } from '../platform/tokens.ts';
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

type LoginOutcome =
  | { kind: 'ok'; session: IssuedSession; rehash: boolean }
  | { kind: 'invalid' }
  | { kind: 'unverified' }
  | { kind: 'disabled' };

/** Where a sign-in attempt's failures are counted (docs/identity.md, "Sign-in limits"). */
export function signInFailureKeys(input: { email: string; ip: string | null; deviceId: string | null }) {
  const account = sha256Hex(input.email).slice(0, 32);
  return {
    ip: `signin-failures:ip:${input.ip ?? 'unknown'}`,
    account: input.deviceId
      ? `signin-failures:device:${account}:${input.deviceId}`
      : `signin-failures:untrusted:${account}`,
  };
}

/**
 * `auth.login` (SPEC §1). Brute-force limits count **failures only** — a success never counts — with
 * OWASP's device cookies:
 *
 * 1. Failures are counted per (account, device) when the browser shows a valid device cookie for the
 *    account, else in the account's "untrusted" bucket; 10 in 15 minutes close that bucket only
 *    (429 + Retry-After). A guesser elsewhere fills the untrusted bucket; the real user on a device
 *    they signed in from before keeps their own. Per source address, 100 failures an hour across all
 *    accounts close that address. Every attempt reserves a hit in both buckets before the password is
 *    checked (so parallel guesses cannot all slip under a limit) and gives it back unless it was a
 *    wrong guess — a whole office behind one address signs in freely.
 * 2. Unknown email, an account without a password yet, and a wrong password all answer 401
 *    `Invalid credentials` after one argon2 verification (against a dummy hash when there is no real
 *    one) — same answer, same time, same counting.
 * 3. Only with the right password: disabled → 403 FORBIDDEN, unverified email → 403
 *    EMAIL_NOT_VERIFIED (neither counts as a failure). Failures of a known account are audited under
 *    its org; unknown emails are only logged (there is no org to audit them in).
 * 4. Success stamps last_login_at, starts a session family, and returns the access and refresh tokens
 *    with the browser's renewed device cookie (the API sets both cookies).
 */
export async function loginUser(
  deps: IdentityDeps,
  input: LoginInput & { origin: RequestOrigin; deviceCookie?: string | null },
): Promise<IssuedSession & { deviceCookie: string }> {
  const { config, rateLimiter } = deps;
  const email = normaliseEmail(input.email);
  const deviceId = deps.deviceCookies.deviceFor(input.deviceCookie ?? null, email);
  const keys = signInFailureKeys({ email, ip: input.origin.ip, deviceId });
  const [perIp, perAccount] = await Promise.all([
    rateLimiter.consume(keys.ip, config.signInFailuresPerIp),
    rateLimiter.consume(keys.account, config.signInFailuresPerDevice),
  ]);
  const giveBack = () => Promise.all([rateLimiter.refund(keys.ip), rateLimiter.refund(keys.account)]);
  if (!perIp.allowed || !perAccount.allowed) {
    // A refused attempt is not a guess: it leaves the counts where they were.
    await giveBack();
    throw new RateLimitedError(
      Math.max(
        perIp.allowed ? 0 : perIp.retryAfterSeconds,
        perAccount.allowed ? 0 : perAccount.retryAfterSeconds,
      ),
      perAccount.allowed
        ? 'Too many failed sign-ins from your network. Try again later'
        : 'Too many failed sign-ins for this account. Try again later, or reset your password',
    );
  }

  let outcome: LoginOutcome | undefined;
  try {
    outcome = await attemptLogin(deps, email, input, {
      failures: perAccount.count,
      trustedDevice: deviceId !== null,
    });
  } finally {
    if (outcome?.kind !== 'invalid') await giveBack();
  }
  switch (outcome.kind) {
    case 'ok':
      if (outcome.rehash) await upgradeHash(deps, outcome.session.user.id, input.password);
      // Warm the cache for the requests this session is about to make.
      await refreshAuthorizationCache(deps, outcome.session.user.id);
      return {
        ...outcome.session,
        deviceCookie: deps.deviceCookies.remember(input.deviceCookie ?? null, email),
      };
    case 'invalid':
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
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
  counted: { failures: number; trustedDevice: boolean },
): Promise<LoginOutcome> {
  const now = deps.clock.now();
  const user = await findUserByEmail(deps.db, email);

  if (!user) {
    await verifyAgainstDummy(input.password);
    deps.log.info({ ip: input.origin.ip }, 'sign-in failed: unknown email');
    return { kind: 'invalid' };
  }

  const passwordOk = user.password_hash
    ? await verifyPassword(user.password_hash, input.password)
    : await verifyAgainstDummy(input.password);

  return deps.db.transaction().execute(async (trx): Promise<LoginOutcome> => {
    if (!passwordOk) {
      await appendAudit(trx, {
        orgId: user.org_id,
        actorId: null,
        action: 'auth.login.failed',
        resourceType: 'user',
        resourceId: user.id,
        payload: {
          reason: user.password_hash ? 'wrong_password' : 'no_password',
          ip: input.origin.ip,
          device: counted.trustedDevice ? 'known' : 'unknown',
          failuresInWindow: counted.failures,
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

    await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', user.id).execute();
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
