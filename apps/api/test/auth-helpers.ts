import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { type RunningApi, startApi } from '../src/server.ts';
import { callProcedure, type TrpcResponseBody, testApiEnv } from './helpers.ts';

// Header values only, never contacted: 198.18.0.0/15 is reserved for benchmarking. Test files run in
// parallel against one Redis, so each draws its addresses from its own block.
const ipBlock = Math.floor(Math.random() * 256);
let ipCounter = 0;
/** A fresh client address (the API trusts X-Forwarded-For from loopback), so per-IP limits stay apart. */
export function freshIp(): string {
  ipCounter += 1;
  return `198.${18 + (Math.floor(ipCounter / 250) % 2)}.${ipBlock}.${(ipCounter % 250) + 1}`;
}

/**
 * An API on its own database and its own Redis namespace: rate-limit counters and cached
 * authorisation of parallel test files never meet.
 */
export async function startTestApi(databaseUrl: string, overrides: Record<string, string | undefined> = {}) {
  const prefix = `t:api:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`;
  return startApi(testApiEnv(databaseUrl, { REDIS_PREFIX: prefix, ...overrides }));
}

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  body: TrpcResponseBody;
  data: T;
  code: string | undefined;
  message: string | undefined;
  /** The `atrium_rt` Set-Cookie header, when the response set or cleared it. */
  refreshCookie: string | null;
  /** The value of the `atrium_device` cookie the response set, if it set one. */
  deviceCookie: string | null;
}

/** Calls a procedure over HTTP as a client would: bearer token, refresh cookie and client IP optional. */
export async function call<T = unknown>(
  api: Pick<RunningApi, 'url'>,
  path: string,
  options: {
    type?: 'query' | 'mutation';
    input?: unknown;
    token?: string;
    cookie?: string | null;
    /** The `atrium_device` cookie to present (sign-in limits). */
    device?: string | null;
    ip?: string;
  } = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { 'x-forwarded-for': options.ip ?? freshIp() };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const cookies = [
    options.cookie ? `atrium_rt=${options.cookie}` : null,
    options.device ? `atrium_device=${options.device}` : null,
  ].filter(Boolean);
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  const {
    status,
    headers: responseHeaders,
    body,
  } = await callProcedure(api.url, path, {
    type: options.type ?? (/\.(me|list|get|permissions)$/.test(path) ? 'query' : 'mutation'),
    input: options.input,
    headers,
  });
  const setCookie = responseHeaders.getSetCookie().find((c) => c.startsWith('atrium_rt=')) ?? null;
  const deviceSetCookie = responseHeaders.getSetCookie().find((c) => c.startsWith('atrium_device='));
  const deviceCookie = deviceSetCookie
    ? decodeURIComponent(/^atrium_device=([^;]*)/.exec(deviceSetCookie)?.[1] ?? '')
    : null;
  return {
    status,
    headers: responseHeaders,
    body,
    data: body.result?.data.json as T,
    code: body.error?.json.data.code,
    message: body.error?.json.message,
    refreshCookie: setCookie,
    deviceCookie,
  };
}

/** The refresh token inside a Set-Cookie header (empty string when the cookie was cleared). */
export function cookieValue(setCookie: string | null): string | null {
  if (!setCookie) return null;
  const match = /^atrium_rt=([^;]*)/.exec(setCookie);
  return match ? decodeURIComponent(match[1] ?? '') : null;
}

export interface LoginData {
  accessToken: string;
  expiresAt: string;
  user: {
    id: string;
    orgId: string;
    email: string;
    name: string;
    roles: string[];
    permissions: string[];
    mustChangePassword: boolean;
  };
}

/** Signs in over HTTP; returns the access token and the refresh token from the cookie. */
export async function login(
  api: Pick<RunningApi, 'url'>,
  user: { email: string; password: string },
  ip?: string,
): Promise<LoginData & { refreshToken: string }> {
  const result = await call<LoginData>(api, 'auth.login', {
    input: { email: user.email, password: user.password },
    ip,
  });
  if (result.status !== 200)
    throw new Error(`login failed: ${result.status} ${result.code} ${result.message}`);
  const refreshToken = cookieValue(result.refreshCookie);
  if (!refreshToken) throw new Error('login set no refresh cookie');
  return { ...result.data, refreshToken };
}

export async function outboxCount(db: Kysely<Database>, type: string, userId: string): Promise<number> {
  const { n } = await db
    .selectFrom('outbox_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('type', '=', type)
    .where('aggregate_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** The audit entries about a user, in chain order: what the flows wrote for them. */
export async function auditEntriesAbout(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom('audit_entries')
    .select(['action', 'actor_id', 'payload'])
    .where('resource_type', '=', 'user')
    .where('resource_id', '=', userId)
    .orderBy('seq')
    .execute();
}
