import type { Request, Response } from 'express';

/**
 * The refresh-token cookie of web clients (SPEC §1): HttpOnly (no script reads it), SameSite=Strict
 * (never sent cross-site, so no CSRF on auth.refresh), Secure (COOKIE_SECURE; Chromium counts
 * http://127.0.0.1 and localhost as secure), and scoped to Path=/trpc — the only place it is needed.
 */
export const REFRESH_COOKIE = 'atrium_rt';
export const REFRESH_COOKIE_PATH = '/trpc';

/**
 * The device cookie (SPEC §1 sign-in limits, docs/identity.md): signed tokens of the accounts that
 * signed in from this browser, so their failed sign-ins are counted apart from strangers'. Same
 * flags as the refresh cookie; it lives a year.
 */
export const DEVICE_COOKIE = 'atrium_device';
const DEVICE_COOKIE_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

export function readRefreshCookie(req: Request): string | null {
  return readCookie(req, REFRESH_COOKIE);
}

export function readDeviceCookie(req: Request): string | null {
  return readCookie(req, DEVICE_COOKIE);
}

export function setDeviceCookie(res: Response | undefined, input: { value: string; secure: boolean }): void {
  res?.cookie(DEVICE_COOKIE, input.value, {
    httpOnly: true,
    secure: input.secure,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    maxAge: DEVICE_COOKIE_MAX_AGE_MS,
  });
}

function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 16_384) return null;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator === -1) continue;
    if (part.slice(0, separator).trim() !== name) continue;
    const value = part.slice(separator + 1).trim();
    try {
      return value ? decodeURIComponent(value) : null;
    } catch {
      return null;
    }
  }
  return null;
}

export function setRefreshCookie(
  res: Response | undefined,
  input: { token: string; expiresAt: Date; secure: boolean },
): void {
  res?.cookie(REFRESH_COOKIE, input.token, {
    httpOnly: true,
    secure: input.secure,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    expires: input.expiresAt,
  });
}

export function clearRefreshCookie(res: Response | undefined, input: { secure: boolean }): void {
  res?.clearCookie(REFRESH_COOKIE, {
    httpOnly: true,
    secure: input.secure,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
  });
}
