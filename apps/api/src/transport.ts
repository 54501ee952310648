import { timingSafeEqual } from 'node:crypto';
import type { ErrorCode } from '@atrium/domain/errors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiEnv } from './env.ts';

/**
 * Transport limits and headers (SPEC §10, docs/security.md): what every request meets before any
 * procedure runs. Each rule holds for every procedure, present and future, because it is enforced
 * here rather than in the procedures.
 */

const MB = 1024 * 1024;

/**
 * Procedures whose requests may exceed MAX_BODY_BYTES, with their own cap. A batch takes the largest
 * cap among its calls only when every call in it is listed; anything else gets the default.
 * The hostile-input test checks that every key names a real procedure.
 */
export const BULK_BODY_LIMITS: Readonly<Record<string, number>> = {
  // 1,000 log events of up to 8,000 characters and 16 KB of attributes each would be 24 MB; real
  // batches are far smaller, and 8 MB keeps one call's memory bounded (docs/logging.md).
  'logs.ingestBulk': 8 * MB,
  // A people CSV of up to 2 MB, JSON-escaped.
  'workplace.people.import': 3 * MB,
  // Up to 500 media addresses of up to 2,048 characters each.
  'imports.bulk': 2 * MB,
  // A dataset manifest of up to 20,000 items (docs/datasets.md).
  'ingest.publish': 32 * MB,
};

/** The body cap of a tRPC request path (`/a.b` or a batch `/a.b,c.d`). */
export function bodyLimitFor(path: string, defaultLimit: number): number {
  const procedures = decodeURIComponent(path.replace(/^\//, '')).split(',');
  let limit = 0;
  for (const procedure of procedures) {
    const declared = BULK_BODY_LIMITS[procedure];
    if (declared === undefined) return defaultLimit;
    limit = Math.max(limit, declared);
  }
  return Math.max(limit, defaultLimit);
}

/**
 * Refuses a body whose declared length is over the cap before a byte of it is read. A body without
 * Content-Length (chunked) is counted by tRPC as it streams in, against the same cap.
 */
export function rejectOversizeBodies(limitFor: (req: Request) => number): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared > limitFor(req))) return next();
    sendTransportError(res, {
      status: 413,
      code: 'VALIDATION_ERROR',
      message: 'The request is larger than this endpoint accepts',
      headers: { connection: 'close' },
    });
  };
}

/** A transport refusal in the shape tRPC clients read (`error.json.data.code|httpStatus`). */
export function sendTransportError(
  res: Response,
  input: { status: number; code: ErrorCode; message: string; headers?: Record<string, string> },
): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(input.headers ?? {})) res.setHeader(name, value);
  res.status(input.status).json({
    error: {
      json: {
        message: input.message,
        code: -32600,
        data: { code: input.code, httpStatus: input.status, requestId: res.locals.requestId },
      },
    },
  });
}

/**
 * CSRF defence in depth: a POST must carry `application/json`. Browsers send form, multipart and
 * text/plain bodies cross-site without a preflight; JSON needs one, and the API answers no CORS
 * preflight, so no other site can make a signed-in browser call a mutation.
 */
export const requireJsonPosts: RequestHandler = (req, res, next) => {
  if (req.method !== 'POST') return next();
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return next();
  sendTransportError(res, {
    status: 415,
    code: 'VALIDATION_ERROR',
    message: 'Requests must be sent as application/json',
  });
};

/**
 * Headers on every response. The API answers JSON and never wants to be framed or sniffed; the web
 * app (served by `pnpm start`) gets its own Content-Security-Policy from `webAppHeaders`.
 */
export function securityHeaders(env: Pick<ApiEnv, 'COOKIE_SECURE'>): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'strict-origin-when-cross-origin');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    if (env.COOKIE_SECURE) res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

/**
 * The web app's policy: its own scripts and styles only, media and images from this origin (signed
 * URLs) and provider thumbnails over https, and the players of the import providers in frames.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self'",
  'frame-src https://www.youtube-nocookie.com https://www.youtube.com https://player.vimeo.com https://w.soundcloud.com',
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The web app's policy when signed object URLs live on other origins (S3, or OBJECT_STORAGE_PUBLIC_URL
 * on another host): images, media and uploads (connect) may also reach those origins, nothing else.
 */
export function webAppCsp(objectOrigins: readonly string[]): string {
  if (objectOrigins.length === 0) return WEB_APP_CSP;
  const extra = ` ${objectOrigins.join(' ')}`;
  return WEB_APP_CSP.split('; ')
    .map((directive) =>
      /^(img-src|media-src|connect-src) /.test(directive) ? `${directive}${extra}` : directive,
    )
    .join('; ');
}

/** Where the browser fetches signed object URLs from, when that is not the app's own origin. */
export function objectOrigins(
  env: Pick<
    ApiEnv,
    'S3_BUCKET' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_FORCE_PATH_STYLE' | 'OBJECT_STORAGE_PUBLIC_URL'
  >,
): string[] {
  if (env.S3_BUCKET) {
    if (!env.S3_ENDPOINT) return [`https://${env.S3_BUCKET}.s3.${env.S3_REGION}.amazonaws.com`];
    const endpoint = new URL(env.S3_ENDPOINT);
    if (env.S3_FORCE_PATH_STYLE) return [endpoint.origin];
    return [`${endpoint.protocol}//${env.S3_BUCKET}.${endpoint.host}`];
  }
  return env.OBJECT_STORAGE_PUBLIC_URL ? [new URL(env.OBJECT_STORAGE_PUBLIC_URL).origin] : [];
}

/** Whether a request may see operator-grade detail (/metrics, detailed readiness). */
export function hasOpsAccess(req: Request, env: Pick<ApiEnv, 'NODE_ENV' | 'METRICS_TOKEN'>): boolean {
  const header = req.headers.authorization;
  if (env.METRICS_TOKEN) {
    return typeof header === 'string' && constantTimeEquals(header, `Bearer ${env.METRICS_TOKEN}`);
  }
  return env.NODE_ENV !== 'production';
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A per-key concurrency limit on this replica: open event streams per user (SPEC §10: ≤ 10) and
 * expensive procedures per caller and per org. A slot is held from acceptance until release, whatever
 * the work does meanwhile; keys with no slot held take no memory.
 */
export interface ConcurrencySlots {
  /** Takes a slot of `key` unless `limit` are already held. */
  tryAcquire(key: string, limit: number): boolean;
  release(key: string): void;
  held(key: string): number;
}

export function createConcurrencySlots(): ConcurrencySlots {
  const open = new Map<string, number>();
  return {
    tryAcquire(key, limit) {
      const current = open.get(key) ?? 0;
      if (current >= limit) return false;
      open.set(key, current + 1);
      return true;
    },
    release(key) {
      const current = open.get(key) ?? 0;
      if (current <= 1) open.delete(key);
      else open.set(key, current - 1);
    },
    held: (key) => open.get(key) ?? 0,
  };
}

export { MB };

/** The bearer token a subscription request carries: the header, else tRPC's `connectionParams`. */
function subscriptionToken(req: Request): string | null {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) return header.slice(7).trim();
  const raw = typeof req.query.connectionParams === 'string' ? req.query.connectionParams : null;
  if (!raw || raw.length > 8192) return null;
  try {
    const params = JSON.parse(raw) as { token?: unknown };
    return typeof params.token === 'string' ? params.token : null;
  } catch {
    return null;
  }
}

/**
 * Caps the event streams a user holds open (`GET /trpc/events.subscribe`) with a plain HTTP 429, before
 * tRPC starts the stream (inside a stream an error would arrive with status 200). The token is only
 * checked for its signature here; the procedure authenticates the caller fully as usual, and a request
 * without a valid token is left for it to refuse.
 */
export function limitEventStreams(input: {
  slots: ConcurrencySlots;
  max: number;
  userOf(token: string): Promise<string | null>;
}): RequestHandler {
  return async (req, res, next) => {
    if (req.method !== 'GET' || req.path !== '/events.subscribe') return next();
    const token = subscriptionToken(req);
    const userId = token ? await input.userOf(token) : null;
    if (!userId) return next();
    if (!input.slots.tryAcquire(userId, input.max)) {
      sendTransportError(res, {
        status: 429,
        code: 'RATE_LIMITED',
        message: `At most ${input.max} live connections per person; close another tab or window first`,
        headers: { 'retry-after': '30' },
      });
      return;
    }
    res.once('close', () => input.slots.release(userId));
    next();
  };
}
