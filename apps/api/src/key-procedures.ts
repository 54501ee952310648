import type { Permission } from '@atrium/domain/access/permissions';
import { assertNoPendingPasswordChange, type Session } from '@atrium/domain/access/session';
import { ForbiddenError, RateLimitedError, UnauthenticatedError } from '@atrium/domain/errors';
import { type ApiKeyScope, authenticateApiKey, looksLikeApiKey } from '@atrium/domain/logging/api-keys';
import { publicProcedure } from './trpc.ts';

/**
 * Who a procedure that admits API keys acts for (docs/logging.md): the org, and either the key or
 * the signed-in user. A key never reaches another org: the org is the key's own.
 */
export interface Caller {
  orgId: string;
  apiKeyId: string | null;
  userId: string | null;
}

/**
 * The rung for procedures that machine clients call (SPEC §7): `Authorization: Bearer atr_…` with
 * `scope`, or — when `permission` is given — a signed-in member holding it. Every other procedure
 * refuses a key (it is not an access token: 401). Revocation is checked on every call.
 */
export function keyOrPermissionProcedure(scope: ApiKeyScope, permission: Permission | null) {
  return publicProcedure.use(async ({ ctx, next }) => {
    const token = ctx.credentials.bearerToken;
    if (token && looksLikeApiKey(token) && !ctx.session) {
      const principal = await authenticateApiKey({ db: ctx.services.db }, token);
      if (!principal.scopes.has(scope)) throw new ForbiddenError(`This API key lacks the ${scope} scope`);
      const caller: Caller = { orgId: principal.orgId, apiKeyId: principal.keyId, userId: null };
      return next({ ctx: { ...ctx, caller, session: null as Session | null } });
    }
    if (permission === null) throw new UnauthenticatedError(`Send an API key with the ${scope} scope`);
    const session = ctx.session ?? (await ctx.services.authenticate(ctx.credentials));
    if (!session) throw new UnauthenticatedError();
    assertNoPendingPasswordChange(session);
    if (!session.permissions.has(permission)) throw new ForbiddenError(`Missing permission ${permission}`);
    const caller: Caller = { orgId: session.orgId, apiKeyId: null, userId: session.userId };
    return next({ ctx: { ...ctx, caller, session: session as Session | null } });
  });
}

/** Ingest calls per key per minute (LOGS_INGEST_CALLS_PER_MINUTE); 429 with Retry-After beyond. */
export const ingestRateLimited = keyOrPermissionProcedure('logs.ingest', null).use(async ({ ctx, next }) => {
  const key = `logs-ingest:${ctx.caller.apiKeyId ?? ctx.caller.userId}`;
  const decision = await ctx.services.identity.rateLimiter.consume(key, {
    limit: ctx.services.env.LOGS_INGEST_CALLS_PER_MINUTE,
    windowSeconds: 60,
  });
  if (!decision.allowed) {
    throw new RateLimitedError(
      decision.retryAfterSeconds,
      'This API key sends too many log calls; slow down',
    );
  }
  return next();
});
