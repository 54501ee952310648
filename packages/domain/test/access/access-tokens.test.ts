import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessTokens } from '../../src/access/access-tokens.ts';
import { UnauthenticatedError } from '../../src/errors.ts';
import { manualClock } from '../../src/platform/clock.ts';

const secret = 'a-test-secret-that-is-long-enough-for-hs256';
const subject = { userId: crypto.randomUUID(), orgId: crypto.randomUUID(), roles: ['viewer'], pv: 3 };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    expect(error).toBeInstanceOf(UnauthenticatedError);
    return (error as UnauthenticatedError).code;
  }
}

describe('access tokens', () => {
  it('round-trips sub, org, roles, pv with a 15-minute life', async () => {
    const tokens = createAccessTokens({ secret, ttlSeconds: 900 });
    const { accessToken, expiresAt } = await tokens.issue(subject);
    const claims = await tokens.verify(accessToken);
    expect(claims).toMatchObject({ userId: subject.userId, orgId: subject.orgId, roles: ['viewer'], pv: 3 });
    expect(claims.expiresAt.getTime()).toBe(expiresAt.getTime());
    expect(claims.expiresAt.getTime() - claims.issuedAt.getTime()).toBe(900_000);
  });

  it('says TOKEN_EXPIRED once the token has expired', async () => {
    const clock = manualClock();
    const tokens = createAccessTokens({ secret, ttlSeconds: 900, clock });
    const { accessToken } = await tokens.issue(subject);
    clock.advance(901_000);
    expect(await codeOf(tokens.verify(accessToken))).toBe('TOKEN_EXPIRED');
  });

  it('says UNAUTHENTICATED for a token signed with another key, tampered with, unsigned, or garbage', async () => {
    const tokens = createAccessTokens({ secret, ttlSeconds: 900 });
    const other = createAccessTokens({ secret: `${secret}-other`, ttlSeconds: 900 });
    const foreign = (await other.issue(subject)).accessToken;
    expect(await codeOf(tokens.verify(foreign))).toBe('UNAUTHENTICATED');

    const [header, payload, signature] = (await tokens.issue(subject)).accessToken.split('.');
    const elevated = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), roles: ['admin'] }),
    ).toString('base64url');
    expect(await codeOf(tokens.verify(`${header}.${elevated}.${signature}`))).toBe('UNAUTHENTICATED');

    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect(await codeOf(tokens.verify(none))).toBe('UNAUTHENTICATED');
    expect(await codeOf(tokens.verify('not.a.token'))).toBe('UNAUTHENTICATED');
  });

  it('refuses a correctly signed token that lacks our claims', async () => {
    const tokens = createAccessTokens({ secret, ttlSeconds: 900 });
    const bare = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('atrium')
      .setAudience('atrium-api')
      .setSubject('x')
      .setIssuedAt()
      .setJti('j')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    expect(await codeOf(tokens.verify(bare))).toBe('UNAUTHENTICATED');
  });

  it('refuses a short secret', () => {
    expect(() => createAccessTokens({ secret: 'short', ttlSeconds: 900 })).toThrow(/at least 32/);
  });
});
