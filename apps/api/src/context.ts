import type { Session } from '@atrium/domain/access/session';
import type { Logger } from '@atrium/observability';
import type { Request, Response } from 'express';
import { readRefreshCookie } from './auth/cookies.ts';
import type { Services } from './services.ts';

/** The credentials a request carried; the identity module turns them into a Session. */
export interface Credentials {
  bearerToken: string | null;
  /** The refresh token from the `atrium_rt` cookie (web clients), for auth.refresh / auth.logout. */
  refreshToken?: string | null;
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

export function createContextFromRequest(services: Services, req: Request, res: Response): Context {
  const header = req.headers.authorization;
  const bearerToken =
    typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : null;
  const requestId = res.locals.requestId as string;
  return {
    ...createInnerContext({
      services,
      requestId,
      ip: req.ip ?? null,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
      credentials: { bearerToken, refreshToken: readRefreshCookie(req) },
      logger: res.locals.logger as Logger,
    }),
    req,
    res,
  };
}
