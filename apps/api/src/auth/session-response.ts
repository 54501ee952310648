import type { RequestOrigin } from '@atrium/domain/identity/deps';
import type { IssuedSession } from '@atrium/domain/identity/sessions';
import type { SignedInUser } from '@atrium/domain/identity/users';
import { z } from 'zod';
import type { Context } from '../context.ts';
import { setRefreshCookie } from './cookies.ts';

/**
 * How a client receives its refresh token: web apps in the HttpOnly cookie (default); other clients
 * (CLI, mobile) ask for it in the response body and send it back in the body of auth.refresh/logout.
 */
export const ZRefreshTokenDelivery = z.enum(['cookie', 'body']).default('cookie');
export type RefreshTokenDelivery = z.infer<typeof ZRefreshTokenDelivery>;

export interface SessionResponse {
  accessToken: string;
  expiresAt: Date;
  user: SignedInUser;
  /** Only when the refresh token travels in the body. */
  refreshToken?: string;
  refreshTokenExpiresAt?: Date;
}

export function originOf(ctx: Pick<Context, 'ip' | 'userAgent'>): RequestOrigin {
  return { ip: ctx.ip, userAgent: ctx.userAgent };
}

/** Puts the refresh token where the client asked for it and returns the rest. */
export function respondWithSession(
  ctx: Pick<Context, 'res' | 'services'>,
  session: IssuedSession,
  delivery: RefreshTokenDelivery,
): SessionResponse {
  const response: SessionResponse = {
    accessToken: session.accessToken,
    expiresAt: session.expiresAt,
    user: session.user,
  };
  if (delivery === 'body') {
    response.refreshToken = session.refreshToken;
    response.refreshTokenExpiresAt = session.refreshTokenExpiresAt;
  } else {
    setRefreshCookie(ctx.res, {
      token: session.refreshToken,
      expiresAt: session.refreshTokenExpiresAt,
      secure: ctx.services.env.COOKIE_SECURE,
    });
  }
  return response;
}
