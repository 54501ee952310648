import type { Request, Response } from 'express';

/**
 * The refresh-token cookie of web clients (SPEC §1): HttpOnly (no script reads it), SameSite=Strict
 * (never sent cross-site, so no CSRF on auth.refresh), Secure (COOKIE_SECURE; Chromium counts
 * http://127.0.0.1 and localhost as secure), and scoped to Path=/trpc — the only place it is needed.
 */
export const REFRESH_COOKIE = 'atrium_rt';
export const REFRESH_COOKIE_PATH = '/trpc';

export function readRefreshCookie(req: Request): string | null {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator === -1) continue;
    if (part.slice(0, separator).trim() !== REFRESH_COOKIE) continue;
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
