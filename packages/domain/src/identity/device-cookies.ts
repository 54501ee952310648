import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../platform/clock.ts';
import { normaliseEmail } from './users.ts';

/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"; SPEC §1): a
 * successful sign-in leaves the browser a signed token bound to that account. Failed guesses are then
 * counted per (account, device) for a browser that presents a valid token, and in the account's
 * "untrusted" bucket for everyone else — so a guesser elsewhere fills only the untrusted bucket and
 * the real user, on a device they signed in from before, is never locked out.
 *
 * A token is `d1.<device id>.<issued at, unix seconds>.<mac>`, the MAC an HMAC-SHA256 over the version,
 * device id, issue time and the account's normalised email, so a token proves nothing for another
 * account and cannot be forged or moved between accounts. It names no account itself. One cookie
 * keeps the tokens of the last few accounts signed in from the browser (a shared computer).
 */
export const DEVICE_TOKEN_TTL_SECONDS = 365 * 24 * 60 * 60;
/** Accounts remembered per browser; the oldest token drops out. */
export const MAX_DEVICE_TOKENS = 5;
const VERSION = 'd1';
const SEPARATOR = '~';

export interface DeviceCookies {
  /** The device id of the first valid token in the cookie for `email`, or null. */
  deviceFor(cookie: string | null, email: string): string | null;
  /** The cookie value after a sign-in of `email`: its new token first, other accounts' tokens kept. */
  remember(cookie: string | null, email: string): string;
}

export function createDeviceCookies(input: { secret: string | Buffer; clock: Clock }): DeviceCookies {
  // A key of its own, derived from the given secret, so a device token is never a valid anything-else.
  const key = createHmac('sha256', input.secret).update('atrium:device-cookie:v1').digest();
  const mac = (deviceId: string, issuedAt: string, email: string) =>
    createHmac('sha256', key).update(`${VERSION}|${deviceId}|${issuedAt}|${email}`).digest('base64url');

  const parse = (token: string) => {
    const [version, deviceId, issuedAt, signature] = token.split('.');
    if (version !== VERSION || !deviceId || !issuedAt || !signature) return null;
    if (!/^[A-Za-z0-9_-]{22}$/.test(deviceId) || !/^\d{1,12}$/.test(issuedAt)) return null;
    return { deviceId, issuedAt, signature };
  };

  const validFor = (token: string, email: string): string | null => {
    const parts = parse(token);
    if (!parts) return null;
    const ageSeconds = input.clock.now().getTime() / 1000 - Number(parts.issuedAt);
    if (ageSeconds > DEVICE_TOKEN_TTL_SECONDS || ageSeconds < -300) return null;
    const expected = Buffer.from(mac(parts.deviceId, parts.issuedAt, email));
    const given = Buffer.from(parts.signature);
    return expected.length === given.length && timingSafeEqual(expected, given) ? parts.deviceId : null;
  };

  const tokensOf = (cookie: string | null) =>
    (cookie ?? '')
      .split(SEPARATOR)
      .filter((token) => token.length > 0 && token.length < 200)
      .slice(0, MAX_DEVICE_TOKENS * 2);

  const issue = (email: string) => {
    const deviceId = randomBytes(16).toString('base64url');
    const issuedAt = String(Math.floor(input.clock.now().getTime() / 1000));
    return [VERSION, deviceId, issuedAt, mac(deviceId, issuedAt, email)].join('.');
  };

  return {
    deviceFor(cookie, rawEmail) {
      const email = normaliseEmail(rawEmail);
      for (const token of tokensOf(cookie)) {
        const deviceId = validFor(token, email);
        if (deviceId) return deviceId;
      }
      return null;
    },
    remember(cookie, rawEmail) {
      const email = normaliseEmail(rawEmail);
      const others = tokensOf(cookie).filter((token) => parse(token) && !validFor(token, email));
      return [issue(email), ...others].slice(0, MAX_DEVICE_TOKENS).join(SEPARATOR);
    },
  };
}
