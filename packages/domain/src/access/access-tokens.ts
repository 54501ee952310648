import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { UnauthenticatedError } from '../errors.ts';
import type { Clock } from '../platform/clock.ts';
import { systemClock } from '../platform/clock.ts';

/**
 * Access tokens: short-lived JWTs (HS256) saying who the caller is, in which org, with which roles, and
 * under which permission version (`pv`). They are checked against the user's current authorisation on
 * every request (see authenticate.ts), so a role change or a disable takes effect at once.
 */
export const ACCESS_TOKEN_ISSUER = 'atrium';
export const ACCESS_TOKEN_AUDIENCE = 'atrium-api';
export const MIN_JWT_SECRET_LENGTH = 32;

export interface AccessTokenClaims {
  userId: string;
  orgId: string;
  roles: string[];
  pv: number;
  tokenId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface AccessTokens {
  readonly ttlSeconds: number;
  issue(subject: { userId: string; orgId: string; roles: readonly string[]; pv: number }): Promise<{
    accessToken: string;
    expiresAt: Date;
  }>;
  /** Throws UNAUTHENTICATED for a bad token and TOKEN_EXPIRED for an expired one. */
  verify(token: string): Promise<AccessTokenClaims>;
}

const ZClaims = z.object({
  sub: z.string().min(1),
  org: z.string().min(1),
  roles: z.array(z.string()),
  pv: z.number().int(),
  jti: z.string().min(1),
  iat: z.number(),
  exp: z.number(),
});

export function createAccessTokens(options: {
  secret: string;
  ttlSeconds: number;
  clock?: Clock;
}): AccessTokens {
  if (options.secret.length < MIN_JWT_SECRET_LENGTH) {
    throw new Error(`JWT secret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  }
  const key = new TextEncoder().encode(options.secret);
  const clock = options.clock ?? systemClock;
  return {
    ttlSeconds: options.ttlSeconds,
    async issue(subject) {
      const now = clock.now();
      const issuedAt = Math.floor(now.getTime() / 1000);
      const expiresAt = issuedAt + options.ttlSeconds;
      const accessToken = await new SignJWT({ org: subject.orgId, roles: [...subject.roles], pv: subject.pv })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(subject.userId)
        .setIssuer(ACCESS_TOKEN_ISSUER)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(crypto.randomUUID())
        .sign(key);
      return { accessToken, expiresAt: new Date(expiresAt * 1000) };
    },
    async verify(token) {
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ACCESS_TOKEN_ISSUER,
          audience: ACCESS_TOKEN_AUDIENCE,
          currentDate: clock.now(),
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        }));
      } catch (error) {
        if (error instanceof errors.JWTExpired) {
          throw new UnauthenticatedError('Access token expired', 'TOKEN_EXPIRED');
        }
        throw new UnauthenticatedError('Invalid access token');
      }
      const claims = ZClaims.safeParse(payload);
      if (!claims.success) throw new UnauthenticatedError('Invalid access token');
      return {
        userId: claims.data.sub,
        orgId: claims.data.org,
        roles: claims.data.roles,
        pv: claims.data.pv,
        tokenId: claims.data.jti,
        issuedAt: new Date(claims.data.iat * 1000),
        expiresAt: new Date(claims.data.exp * 1000),
      };
    },
  };
}
