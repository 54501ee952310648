import type { Readable } from 'node:stream';
import { AppError, ValidationError } from '../errors.ts';

/**
 * The ObjectStorage port (SPEC §0 Object storage, §5): where the bytes of assets and files live.
 * Clients upload and download through short-lived signed URLs; the API only signs them (and, with the
 * local adapter, serves them). Two adapters share one contract suite
 * (`test/storage/object-storage.contract.ts`):
 * - `local-object-storage.ts`, the embedded default: files under a root directory, HMAC-signed URLs
 *   answered by the API's `/objects` handler (`local-object-http.ts`);
 * - `s3-object-storage.ts`: any S3-compatible store through presigned URLs; no byte passes through
 *   the API.
 *
 * Keys are made by `createObjectKey` only, never from what a client sent (docs/storage.md).
 */
export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  /**
   * A signed PUT for exactly `byteSize` bytes of `contentType` (and, when given, exactly the bytes
   * whose SHA-256 is `sha256`). The client sends the body with every header of `headers`.
   */
  createUploadUrl(input: UploadUrlInput): Promise<SignedUpload>;
  /** A signed GET; the response carries a safe Content-Disposition and `Cache-Control: private, no-store`. */
  createDownloadUrl(input: DownloadUrlInput): Promise<SignedDownload>;
  /** Size and type of a stored object, or null when there is none. */
  head(key: string): Promise<ObjectHead | null>;
  /**
   * The SHA-256 (lowercase hex) of the stored bytes, or null when the object does not exist. Both
   * adapters use a hash the store itself established when the bytes were written, and read the
   * object to compute it otherwise. Local: hashed while streaming the upload to disk (recomputed if
   * the file changed since). S3: the full-object checksum S3 verified at upload
   * (`x-amz-checksum-sha256`), else a streaming GetObject (docs/storage.md).
   */
  sha256(key: string): Promise<string | null>;
  /** Up to `length` bytes from `offset` (fewer at the end of the object); null when there is no object. */
  readRange(key: string, range: { offset: number; length: number }): Promise<Uint8Array | null>;
  /** The whole object as a stream (scanning, hashing, copying), or null when there is none. */
  open(key: string): Promise<Readable | null>;
  /** Server-side write (imports, generated files, tests). Replaces an existing object. */
  put(key: string, bytes: Uint8Array, options: { contentType: string }): Promise<void>;
  /** Removes the object; removing one that does not exist is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections (S3); the local adapter holds none. */
  close(): Promise<void>;
}

export interface UploadUrlInput {
  key: string;
  /** A media type as sniffing or the client declared it; it is signed, so the upload must send it. */
  contentType: string;
  byteSize: number;
  expiresInSeconds: number;
  /** Lowercase hex; when given, the store refuses any other bytes. */
  sha256?: string;
}

export interface SignedUpload {
  url: string;
  method: 'PUT';
  /** Headers the upload must carry exactly (Content-Type, and the checksum header on S3). */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface DownloadUrlInput {
  key: string;
  expiresInSeconds: number;
  /** The name a browser saves the file under; sanitised, never trusted as a path. */
  fileName?: string;
  /** Served instead of the stored type (S3 needs it for `inline`, see `dispositionFor`). */
  contentType?: string;
  disposition: 'inline' | 'attachment';
}

export interface SignedDownload {
  url: string;
  expiresAt: Date;
}

export interface ObjectHead {
  byteSize: number;
  contentType: string;
  /** Present when the store holds a SHA-256 it computed or verified itself when the bytes were written. */
  sha256?: string;
}

/** The store did not answer or answered wrongly (S3 down, disk error): UNAVAILABLE / BAD_GATEWAY. */
export class ObjectStorageError extends AppError {
  constructor(code: 'UNAVAILABLE' | 'BAD_GATEWAY', message: string, cause?: unknown) {
    super(code, message, { details: { service: 'object-storage' }, cause });
    this.name = 'ObjectStorageError';
  }
}

/** S3's own ceiling for presigned URLs; the local adapter keeps the same bound. */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600;
/** 5 GiB: S3's limit for a single PUT, and so for one signed upload on every adapter. */
export const MAX_UPLOAD_BYTES = 5 * 1024 ** 3;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_KEY_LENGTH = 512;
const MAX_NAME_LENGTH = 100;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// type/subtype with optional parameters; no line breaks, no quotes that could end a header.
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=[A-Za-z0-9!#$&^_.+-]+)*$/;

/**
 * A new key for an object of `orgId`: `{orgId}/{uuid}/{safe-name}`. The random UUID (122 bits) makes
 * it unguessable; the name is only a readable tail, reduced to `[A-Za-z0-9._-]`, so nothing a client
 * typed can steer where the bytes land.
 */
export function createObjectKey(input: { orgId: string; fileName?: string }): string {
  if (!UUID.test(input.orgId))
    throw new ValidationError('Invalid organisation id', { orgId: ['not a uuid'] });
  return `${input.orgId}/${crypto.randomUUID()}/${safeObjectName(input.fileName ?? '')}`;
}

/** The org a key belongs to (its first segment), for ownership checks. */
export function objectKeyOrgId(key: string): string {
  assertObjectKey(key);
  return key.slice(0, key.indexOf('/'));
}

/** A file name reduced to a safe key segment: `Résumé (final).PDF` → `Resume-final-.PDF`. */
export function safeObjectName(fileName: string): string {
  const base = fileName.split(/[/\\]/).pop() ?? '';
  const ascii = base
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[._-]+/, '');
  if (!ascii) return 'file';
  if (ascii.length <= MAX_NAME_LENGTH) return ascii;
  // Keep the extension: it is what a person recognises the file by.
  const dot = ascii.lastIndexOf('.');
  const extension = dot > 0 && ascii.length - dot <= 16 ? ascii.slice(dot) : '';
  return ascii.slice(0, MAX_NAME_LENGTH - extension.length) + extension;
}

/**
 * Keys every adapter accepts: `/`-separated segments of `[A-Za-z0-9._-]` that start with a letter or
 * digit (so no `.`, `..` or hidden names), at most 512 characters. Anything else is a forged or
 * corrupted key and is refused before it reaches a path or a request.
 */
export function isObjectKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return false;
  return key.split('/').every((segment) => KEY_SEGMENT.test(segment));
}

export function assertObjectKey(key: string): void {
  if (!isObjectKey(key)) throw new ValidationError('Invalid object key', { key: ['not a storage key'] });
}

/** Checks what every adapter signs, so both refuse the same inputs with the same error. */
export function assertUploadInput(input: UploadUrlInput): void {
  assertObjectKey(input.key);
  const fieldErrors: Record<string, string[]> = {};
  if (!isMediaType(input.contentType)) fieldErrors.contentType = ['not a media type'];
  if (!Number.isSafeInteger(input.byteSize) || input.byteSize < 0 || input.byteSize > MAX_UPLOAD_BYTES)
    fieldErrors.byteSize = [`must be a whole number of bytes up to ${MAX_UPLOAD_BYTES}`];
  if (input.sha256 !== undefined && !SHA256_HEX.test(input.sha256))
    fieldErrors.sha256 = ['must be 64 lowercase hex digits'];
  if (!validExpiry(input.expiresInSeconds)) fieldErrors.expiresInSeconds = [EXPIRY_MESSAGE];
  if (Object.keys(fieldErrors).length > 0) throw new ValidationError('Invalid upload request', fieldErrors);
}

export function assertDownloadInput(input: DownloadUrlInput): void {
  assertObjectKey(input.key);
  const fieldErrors: Record<string, string[]> = {};
  if (input.contentType !== undefined && !isMediaType(input.contentType))
    fieldErrors.contentType = ['not a media type'];
  if (input.disposition !== 'inline' && input.disposition !== 'attachment')
    fieldErrors.disposition = ['must be inline or attachment'];
  if (input.fileName !== undefined && input.fileName.length > 1024) fieldErrors.fileName = ['too long'];
  if (!validExpiry(input.expiresInSeconds)) fieldErrors.expiresInSeconds = [EXPIRY_MESSAGE];
  if (Object.keys(fieldErrors).length > 0) throw new ValidationError('Invalid download request', fieldErrors);
}

/** Largest slice `readRange` returns at once: it is for sniffing headers, not for copying objects. */
export const MAX_READ_RANGE_BYTES = 1024 * 1024;

export function assertReadRange(range: { offset: number; length: number }): void {
  if (
    !Number.isSafeInteger(range.offset) ||
    range.offset < 0 ||
    !Number.isSafeInteger(range.length) ||
    range.length < 1 ||
    range.length > MAX_READ_RANGE_BYTES
  ) {
    throw new ValidationError('Invalid byte range', {
      range: [`offset ≥ 0 and length from 1 to ${MAX_READ_RANGE_BYTES}`],
    });
  }
}

const EXPIRY_MESSAGE = `must be a whole number of seconds from 1 to ${MAX_SIGNED_URL_SECONDS}`;
function validExpiry(seconds: number): boolean {
  return Number.isSafeInteger(seconds) && seconds >= 1 && seconds <= MAX_SIGNED_URL_SECONDS;
}

export function isMediaType(value: string): boolean {
  return value.length <= 255 && MEDIA_TYPE.test(value);
}

/**
 * Types a browser may render in the page that opened them without running anything: raster images,
 * audio and video. Everything else (HTML, SVG, PDF, text, unknown) is served as an attachment even
 * when `inline` was asked for, so an uploaded file can never act as a page of our origin.
 */
export function dispositionFor(
  requested: 'inline' | 'attachment',
  contentType: string | undefined,
): 'inline' | 'attachment' {
  if (requested === 'attachment' || contentType === undefined) return 'attachment';
  const essence = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (essence === 'image/svg+xml') return 'attachment';
  return /^(image|audio|video)\/[a-z0-9.+-]+$/.test(essence) ? 'inline' : 'attachment';
}

/**
 * A Content-Disposition value (RFC 6266) that no file name can break: an ASCII `filename` fallback
 * with quotes, backslashes and control characters replaced, plus the exact name as RFC 5987
 * `filename*` (UTF-8, percent-encoded). Without a name, just the disposition type.
 */
export function contentDisposition(type: 'inline' | 'attachment', fileName?: string): string {
  // Only the last path component, and no control characters (CR/LF would end the header).
  const name = (fileName ?? '')
    // A lone surrogate has no UTF-8 encoding (encodeURIComponent would throw): U+FFFD instead.
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .split(/[/\\]/)
    .pop()
    ?.replace(/\p{Cc}/gu, '')
    .trim()
    .slice(0, 255);
  if (!name) return type;
  const fallback = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}

function encodeRfc5987(value: string): string {
  // encodeURIComponent leaves !'()* unencoded; RFC 5987 attr-char allows ! but not '()*.
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
