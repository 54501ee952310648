import type { Permission } from '@atrium/domain/access/permissions';
import { assertNoPendingPasswordChange, type Session } from '@atrium/domain/access/session';
import {
  ForbiddenError,
  RateLimitedError,
  UnauthenticatedError,
  ValidationError,
} from '@atrium/domain/errors';
import { findUnstorableText } from '@atrium/domain/platform/input-blocks';
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import type { Context } from './context.ts';
import { errorData, publicMessage, toAppError, toTRPCError } from './errors.ts';

/**
 * The one place that owns the tRPC instance and the procedure ladder:
 *   publicProcedure → authedProcedure → permissionProcedure('…') → operatorProcedure
 * Each rung narrows `ctx` for the next; routers pick the lowest rung that is safe.
 */
const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Subscriptions over SSE (docs/realtime.md): a ping every 15 s keeps proxies from closing an idle
  // stream, and a client that hears nothing for 40 s reconnects (with its last event id).
  sse: {
    ping: { enabled: true, intervalMs: 15_000 },
    client: { reconnectAfterInactivityMs: 40_000 },
  },
  errorFormatter({ shape, error, ctx }) {
    const appError = toAppError(error);
    return {
      message: publicMessage(appError),
      code: shape.code,
      data: { ...errorData(appError, ctx?.requestId, error), path: shape.data.path },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;

/** Times every procedure and converts whatever it threw into the error taxonomy (SPEC §10). */
const observed = t.middleware(async ({ ctx, path, type, next }) => {
  const stop = ctx.services.metrics.procedureDuration.startTimer({ procedure: path, type });
  const result = await next();
  const code = result.ok ? 'OK' : toAppError(result.error).code;
  stop({ code });
  if (result.ok) return result;
  ctx.services.metrics.procedureErrors.inc({ procedure: path, code });
  throw toTRPCError(result.error);
});

/**
 * No text PostgreSQL stores may hold U+0000 or a lone surrogate, and no procedure has a use for
 * either: refused here, for every procedure present and future, before any input schema or use case
 * sees it (SPEC §10).
 */
const refuseUnstorableText = t.middleware(async ({ getRawInput, next }) => {
  const field = findUnstorableText(await getRawInput());
  if (field !== null) {
    throw new ValidationError('Text may not contain NUL (\\0) characters or broken Unicode', {
      [field]: ['Remove the NUL (\\0) character or broken Unicode from this text'],
    });
  }
  return next();
});

export const publicProcedure = t.procedure.use(observed).use(refuseUnstorableText);

/** Who a per-caller limit counts: the signed-in user, else the client address (TRUST_PROXY decides). */
function callerKey(ctx: Context): string {
  return ctx.session ? `user:${ctx.session.userId}` : `ip:${ctx.ip ?? 'unknown'}`;
}

/**
 * At most `perCaller` calls of one kind run at once per caller (user, else client address) on a
 * replica — and, when `perOrg` is given, at most that many per organisation, so one tenant cannot
 * occupy the pool and the event loop that every other tenant shares. Beyond → 429, Retry-After 1 s.
 * `kind` keeps the slots of different limits apart.
 */
function concurrencyCap(
  kind: string,
  limits: (env: Context['services']['env']) => { perCaller: number; perOrg?: number },
  message: string,
) {
  return t.middleware(async ({ ctx, next }) => {
    const { heavyCalls: slots, env } = ctx.services;
    const { perCaller, perOrg } = limits(env);
    const claims: Array<[string, number]> = [[`${kind}:${callerKey(ctx)}`, perCaller]];
    if (ctx.session && perOrg !== undefined) claims.push([`${kind}:org:${ctx.session.orgId}`, perOrg]);
    const held: string[] = [];
    for (const [key, limit] of claims) {
      if (!slots.tryAcquire(key, limit)) {
        for (const taken of held) slots.release(taken);
        throw new RateLimitedError(1, message);
      }
      held.push(key);
    }
    try {
      return await next();
    } finally {
      for (const key of held) slots.release(key);
    }
  });
}

/**
 * For expensive procedures (whole-chain verification, searches over payloads, long histories):
 * HEAVY_CALLS_PER_CALLER at once per caller, twice that per organisation, per replica.
 */
export const heavy = concurrencyCap(
  'heavy',
  (env) => ({ perCaller: env.HEAVY_CALLS_PER_CALLER, perOrg: env.HEAVY_CALLS_PER_CALLER * 2 }),
  'This takes a while and enough of these are already running for you; try again in a moment',
);

/**
 * For procedures anyone may call (the public Library): calls per minute per caller, counted by the
 * shared limiter (Redis; in process without it) — anonymous callers per client address, signed-in
 * ones per user under their own, larger allowance — and a cap on calls at once per caller.
 */
export function publicReadLimits(
  kind: string,
  limits: (env: Context['services']['env']) => {
    anonymousPerMinute: number;
    memberPerMinute: number;
    concurrentPerCaller: number;
  },
) {
  const perMinute = t.middleware(async ({ ctx, next }) => {
    const { anonymousPerMinute, memberPerMinute } = limits(ctx.services.env);
    const decision = await ctx.services.identity.rateLimiter.consume(`${kind}:${callerKey(ctx)}`, {
      limit: ctx.session ? memberPerMinute : anonymousPerMinute,
      windowSeconds: 60,
    });
    if (!decision.allowed) {
      throw new RateLimitedError(
        decision.retryAfterSeconds,
        'Too many requests to the Library from here; wait a moment',
      );
    }
    return next();
  });
  const atOnce = concurrencyCap(
    kind,
    (env) => ({ perCaller: limits(env).concurrentPerCaller }),
    'Too many requests to the Library from here at once; try again in a moment',
  );
  return { perMinute, atOnce };
}

/**
 * Resolves the caller; the identity module supplies `services.authenticate`. Admits a caller whose
 * temporary password still has to be changed — so only `users.me` and `auth.changePassword` sit on
 * this rung; everything else uses `authedProcedure`.
 */
export const sessionProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const session: Session | null = ctx.session ?? (await ctx.services.authenticate(ctx.credentials));
  if (!session) throw new UnauthenticatedError();
  return next({ ctx: { ...ctx, session } });
});

/**
 * A signed-in caller with nothing pending: while `must_change_password` is set, every procedure on
 * this rung (and above) answers 403 FORBIDDEN with `details.reason = 'PASSWORD_CHANGE_REQUIRED'`.
 */
export const authedProcedure = sessionProcedure.use(({ ctx, next }) => {
  assertNoPendingPasswordChange(ctx.session);
  return next({ ctx });
});

export function permissionProcedure(permission: Permission) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!ctx.session.permissions.has(permission))
      throw new ForbiddenError(`Missing permission ${permission}`);
    return next({ ctx });
  });
}

/** Platform operators only (the Ops console across every org). */
export const operatorProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.session.platformRole !== 'operator') throw new ForbiddenError('Operators only');
  return next({ ctx });
});
