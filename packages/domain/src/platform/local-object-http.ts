import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { AppError, ValidationError } from '../errors.ts';
import { type LocalObjectStorage, UploadMismatchError } from './local-object-storage.ts';
import type { LogSink } from './logger.ts';
import { assertObjectKey, contentDisposition, dispositionFor } from './object-storage.ts';

/**
 * The HTTP face of the local object storage: answers the URLs `createUploadUrl` / `createDownloadUrl`
 * signed. A plain Node request handler (no Express, no tRPC), so the API mounts it where its public
 * `baseUrl` points (`/objects`) and tests serve it from a bare `http.Server`. `req.url` is the path
 * below the mount point: `/{key}?{signed query}`.
 *
 * - `PUT`: the signature, the Content-Type and the size are checked before a byte is read; the body is
 *   streamed to disk (never buffered) and stops with 413 past the signed size.
 * - `GET`: one byte range at most (206 / 416), the stored or signed type, a Content-Disposition that
 *   no name can break, never cached, never sniffed, never rendered as a page of our origin.
 */
export function createLocalObjectHandler(
  storage: LocalObjectStorage,
  options: { log?: LogSink } = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    setCommonHeaders(res);
    handle(storage, req, res).catch((error: unknown) => fail(res, error, options.log));
  };
}

async function handle(storage: LocalObjectStorage, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const key = keyFromPath(queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart));
  const query = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));

  if (req.method === 'PUT') return upload(storage, key, query, req, res);
  if (req.method === 'GET') return download(storage, key, query, req, res);
  res.setHeader('allow', 'GET, PUT');
  reply(res, 405, 'VALIDATION_ERROR', `Method ${req.method} is not allowed here`);
}

async function upload(
  storage: LocalObjectStorage,
  key: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const grant = storage.verifyUpload(key, query);
  const sentType = req.headers['content-type']?.trim().toLowerCase();
  if (sentType !== grant.contentType.toLowerCase()) {
    return reply(res, 403, 'FORBIDDEN', `Content-Type must be "${grant.contentType}", as signed`);
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const length = Number(declared);
    if (length > grant.byteSize) {
      return reply(
        res,
        413,
        'VALIDATION_ERROR',
        `The body may have at most ${grant.byteSize} bytes, as signed`,
      );
    }
    if (length < grant.byteSize) {
      return reply(res, 400, 'VALIDATION_ERROR', `The body must have ${grant.byteSize} bytes, as signed`);
    }
  }
  // Stopping early (too many bytes) must not destroy the request: its socket still carries the 413.
  await storage.receive(grant, req.iterator({ destroyOnReturn: false }));
  res.statusCode = 200;
  res.setHeader('content-length', '0');
  res.end();
}

async function download(
  storage: LocalObjectStorage,
  key: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const grant = storage.verifyDownload(key, query);
  const head = await storage.head(key);
  if (!head) return reply(res, 404, 'NOT_FOUND', 'Object not found');

  const contentType = grant.contentType ?? head.contentType;
  const range = parseRange(req.headers.range, head.byteSize);
  if (range === 'unsatisfiable') {
    res.setHeader('content-range', `bytes */${head.byteSize}`);
    return reply(res, 416, 'VALIDATION_ERROR', 'The requested range is outside the object');
  }
  const stream = await storage.openRange(key, range ?? undefined);
  if (!stream) return reply(res, 404, 'NOT_FOUND', 'Object not found');

  res.setHeader('content-type', contentType);
  res.setHeader(
    'content-disposition',
    contentDisposition(dispositionFor(grant.disposition, contentType), grant.fileName),
  );
  res.setHeader('accept-ranges', 'bytes');
  if (range) {
    res.statusCode = 206;
    res.setHeader('content-range', `bytes ${range.start}-${range.end}/${head.byteSize}`);
    res.setHeader('content-length', String(range.end - range.start + 1));
  } else {
    res.statusCode = 200;
    res.setHeader('content-length', String(head.byteSize));
  }
  await pipeline(stream, res);
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n`. Anything else, several ranges included,
 * is ignored and the whole object served, as the RFC allows. A range that starts past the end is
 * unsatisfiable (416); an empty object has no satisfiable range.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/**
 * The key of a request path, each segment percent-decoded on its own. Decoding can only produce
 * characters a key does not allow (`/`, `.`-segments, NUL), which `assertObjectKey` refuses:
 * `..%2F..%2Fetc%2Fpasswd` never becomes a path.
 */
function keyFromPath(path: string): string {
  let key: string;
  try {
    key = path.replace(/^\//, '').split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new ValidationError('Invalid object key', { key: ['malformed percent-encoding'] });
  }
  assertObjectKey(key);
  return key;
}

function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('cache-control', 'private, no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  // Should a browser ever render a stored file as a document, it runs no script and loads nothing.
  res.setHeader('content-security-policy', "default-src 'none'; sandbox");
  res.setHeader('referrer-policy', 'no-referrer');
}

const STATUS_OF: Partial<Record<AppError['code'], number>> = {
  VALIDATION_ERROR: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  BAD_GATEWAY: 502,
};

function fail(res: ServerResponse, error: unknown, log: LogSink | undefined): void {
  // A client that went away mid-transfer is not our failure, and nobody is left to answer.
  // (The request itself is destroyed after a complete read too, so only the socket tells.)
  if (res.destroyed || !res.socket || res.socket.destroyed) return;
  if (error instanceof UploadMismatchError) {
    reply(res, error.reason === 'too-large' ? 413 : 400, 'VALIDATION_ERROR', error.message);
    return;
  }
  const status = error instanceof AppError ? STATUS_OF[error.code] : undefined;
  if (error instanceof AppError && status !== undefined) {
    if (status >= 500) log?.error({ err: error.cause ?? error }, 'object request failed');
    reply(res, status, error.code, error.message);
    return;
  }
  log?.error({ err: error }, 'object request failed');
  reply(res, 500, 'INTERNAL', 'Something went wrong on our side');
}

/**
 * How long the rest of a refused body is read and discarded before the connection is cut. Closing at
 * once would make the kernel reset the connection (unread data), and a reset can destroy our answer
 * before the client has read it; browsers then report a network error instead of the 413.
 */
const DISCARD_REFUSED_BODY_MS = 2_000;

/** A JSON error in the shape of the API's others. */
function reply(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.statusCode = status;
  res.removeHeader('content-disposition');
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', String(Buffer.byteLength(body)));
  res.end(body);
  const req = res.req;
  if (!req.complete) {
    req.resume();
    setTimeout(() => {
      if (!req.complete) req.socket.destroy();
    }, DISCARD_REFUSED_BODY_MS).unref();
  }
}
