import type { Session } from '@atrium/domain/access/session';
import type { Logger } from '@atrium/observability';
import type { Request, Response } from 'express';
import { readDeviceCookie, readRefreshCookie } from './auth/cookies.ts';
import type { Services } from './services.ts';

/** The credentials a request carried; the identity module turns them into a Session. */
export interface Credentials {
  bearerToken: string | null;
  /** The refresh token from the `atrium_rt` cookie (web clients), for auth.refresh / auth.logout. */
  refreshToken?: string | null;
  /** The `atrium_device` cookie (signed device tokens; sign-in limits count failures by device). */
  deviceCookie?: string | null;
}

/**
 * Inner context: everything a procedure needs, with no HTTP in it, so tests and other transports can
 * build one directly (`createInnerContext({ services, session })`) and call procedures through
 * `createCaller`.
 */
export interface InnerContext {
  services: Services;
  requestId: string;
  logger: Logger;
  ip: string | null;
  /** The User-Agent header, recorded with refresh tokens (sessions list, audit). */
  userAgent: string | null;
  credentials: Credentials;
  /** Set when the caller has been authenticated (tests may preset it). */
  session: Session | null;
}

/** Outer context: the inner one plus the HTTP exchange, for procedures that set cookies or headers. */
export interface Context extends InnerContext {
  req?: Request;
  res?: Response;
}

export function createInnerContext(input: {
  services: Services;
  requestId?: string;
  ip?: string | null;
  userAgent?: string | null;
  credentials?: Credentials;
  session?: Session | null;
  logger?: Logger;
}): InnerContext {
  const requestId = input.requestId ?? crypto.randomUUID();
  return {
    services: input.services,
    requestId,
    logger: input.logger ?? input.services.logger.child({ requestId }),
    ip: input.ip ?? null,
    userAgent: input.userAgent ?? null,
    credentials: input.credentials ?? { bearerToken: null },
    session: input.session ?? null,
  };
}

/** What tRPC tells createContext about the call (the part we read). */
export interface CallInfo {
  type: string;
  connectionParams: Record<string, string | undefined> | null;
}

/**
 * The bearer token of a request: the `Authorization` header, or — for subscriptions only — the
 * `token` connection parameter. Browsers' EventSource cannot send headers, so the tRPC client's
 * `httpSubscriptionLink({ connectionParams: () => ({ token }) })` puts it in the query string
 * (docs/realtime.md). Other calls never take a token from the URL.
 */
export function bearerTokenOf(req: Request, info?: CallInfo): string | null {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer '))
    return header.slice('Bearer '.length).trim();
  const fromParams = info?.type === 'subscription' ? info.connectionParams?.token : undefined;
  return typeof fromParams === 'string' && fromParams.length > 0 ? fromParams : null;
}

export function createContextFromRequest(
  services: Services,
  req: Request,
  res: Response,
  info?: CallInfo,
): Context {
  const bearerToken = bearerTokenOf(req, info);
  const requestId = res.locals.requestId as string;
  return {
    ...createInnerContext({
      services,
      requestId,
      ip: req.ip ?? null,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
      credentials: { bearerToken, refreshToken: readRefreshCookie(req), deviceCookie: readDeviceCookie(req) },
      logger: res.locals.logger as Logger,
    }),
    req,
    res,
  };
}
