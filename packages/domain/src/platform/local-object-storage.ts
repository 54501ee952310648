import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { ForbiddenError, ValidationError } from '../errors.ts';
import {
  assertDownloadInput,
  assertObjectKey,
  assertReadRange,
  assertUploadInput,
  type DownloadUrlInput,
  isMediaType,
  type ObjectHead,
  type ObjectStorage,
  ObjectStorageError,
  type SignedDownload,
  type SignedUpload,
  type UploadUrlInput,
} from './object-storage.ts';

/**
 * The embedded-default ObjectStorage: objects are files under `root`, and signed URLs point at the
 * API's `/objects` handler (`local-object-http.ts`), which checks them with `verifyUpload` /
 * `verifyDownload` below. Layout under `root`:
 * - `{key}`: the bytes;
 * - `.meta/{key}.json`: content type, size and SHA-256 computed while writing, and which file
 *   (inode, mtime) they describe;
 * - `.tmp/`: uploads in progress, renamed into place when complete (same filesystem, so atomic).
 * Keys never start a segment with a dot, so neither directory can collide with an object.
 */
export interface LocalObjectStorageOptions {
  /** Directory of the objects (OBJECT_STORAGE_DIR, `.data/objects` by default); created when missing. */
  root: string;
  /** HMAC-SHA256 key of the URLs (OBJECT_STORAGE_SIGNING_KEY), at least 32 characters. */
  signingKey: string;
  /** Public URL of the `/objects` handler, e.g. `https://atrium.example.com/objects`. */
  baseUrl: string;
  /** Milliseconds since the epoch; tests and the clock port pass their own. */
  now?: () => number;
}

export interface LocalObjectStorage extends ObjectStorage {
  readonly kind: 'local';
  /** Checks a PUT's signature and returns what it allows; throws ForbiddenError otherwise. */
  verifyUpload(key: string, query: URLSearchParams): UploadGrant;
  /** Checks a GET's signature and returns what it allows; throws ForbiddenError otherwise. */
  verifyDownload(key: string, query: URLSearchParams): DownloadGrant;
  /**
   * Streams `body` into the object atomically, refusing (UploadMismatchError) more or fewer bytes than
   * the grant allows, or other bytes than its SHA-256, without keeping anything of a refused upload.
   */
  receive(grant: UploadGrant, body: AsyncIterable<Uint8Array>): Promise<void>;
  /** An object's bytes from `start` to `end` (inclusive), or null when there is none. */
  openRange(key: string, range?: { start: number; end: number }): Promise<Readable | null>;
}

export interface UploadGrant {
  key: string;
  contentType: string;
  byteSize: number;
  sha256?: string;
}

export interface DownloadGrant {
  key: string;
  disposition: 'inline' | 'attachment';
  fileName?: string;
  contentType?: string;
}

/** Why an upload's body was refused; the HTTP handler answers 413 for `too-large`, 400 otherwise. */
export class UploadMismatchError extends ValidationError {
  readonly reason: 'too-large' | 'too-short' | 'sha256';
  constructor(reason: 'too-large' | 'too-short' | 'sha256', message: string) {
    super(message, { body: [message] });
    this.name = 'UploadMismatchError';
    this.reason = reason;
  }
}

interface StoredMeta {
  contentType: string;
  byteSize: number;
  sha256: string;
  /**
   * The file these facts describe: a concurrent replacement (another inode) or a change in place
   * (another mtime) leaves them attached to the old bytes, and they are ignored.
   */
  ino: number;
  mtimeMs: number;
}

/** Whether `storage` is the local adapter (and so needs its `/objects` handler mounted). */
export function isLocalObjectStorage(storage: ObjectStorage): storage is LocalObjectStorage {
  return storage.kind === 'local' && 'verifyUpload' in storage;
}

const SIGNATURE_VERSION = 'atrium-object/1';
const CHUNK_BYTES = 64 * 1024;

export function createLocalObjectStorage(options: LocalObjectStorageOptions): LocalObjectStorage {
  if (options.signingKey.length < 32) {
    throw new Error('OBJECT_STORAGE_SIGNING_KEY must be at least 32 characters');
  }
  const root = resolve(options.root);
  const baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  const now = options.now ?? Date.now;
  const signingKey = Buffer.from(options.signingKey, 'utf8');

  const dataPath = (key: string) => inside(root, key);
  const metaPath = (key: string) => inside(join(root, '.meta'), `${key}.json`);
  const tmpDir = join(root, '.tmp');

  const sign = (fields: readonly string[]): string =>
    createHmac('sha256', signingKey)
      .update(JSON.stringify([SIGNATURE_VERSION, ...fields]))
      .digest('base64url');

  const signedUrl = (key: string, params: Record<string, string>, fields: readonly string[]): string => {
    const url = new URL(encodeKeyPath(key), baseUrl);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    url.searchParams.set('sig', sign(fields));
    return url.toString();
  };

  /** Signature first, expiry second: only an authentic URL is ever told that it has expired. */
  const verify = (params: Record<string, string>, fields: readonly string[]): void => {
    const given = Buffer.from(params.sig ?? '', 'utf8');
    const expected = Buffer.from(sign(fields), 'utf8');
    // Lengths are public (every signature has the same one); the comparison of bytes is constant-time.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ForbiddenError('The signature of this link is invalid');
    }
    const expires = Number(params.expires);
    if (!Number.isSafeInteger(expires) || expires * 1000 < now()) {
      throw new ForbiddenError('This link has expired');
    }
  };

  const readMeta = async (key: string): Promise<StoredMeta | null> => {
    try {
      const meta = JSON.parse(await readFile(metaPath(key), 'utf8')) as Partial<StoredMeta>;
      if (typeof meta.contentType !== 'string' || !isMediaType(meta.contentType)) return null;
      return meta as StoredMeta;
    } catch {
      return null;
    }
  };

  const write = async (
    key: string,
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expect: { contentType: string; byteSize?: number; sha256?: string },
  ): Promise<void> => {
    const target = dataPath(key);
    await mkdir(tmpDir, { recursive: true });
    const tmpData = join(tmpDir, `${crypto.randomUUID()}.part`);
    const tmpMeta = `${tmpData}.meta`;
    let handle: FileHandle | undefined;
    try {
      handle = await open(tmpData, 'wx', 0o600);
      const hash = createHash('sha256');
      let written = 0;
      for await (const chunk of body) {
        written += chunk.byteLength;
        if (expect.byteSize !== undefined && written > expect.byteSize) {
          throw new UploadMismatchError(
            'too-large',
            `The body is larger than the signed ${expect.byteSize} bytes`,
          );
        }
        hash.update(chunk);
        await handle.write(chunk);
      }
      if (expect.byteSize !== undefined && written < expect.byteSize) {
        throw new UploadMismatchError(
          'too-short',
          `The body has ${written} bytes, the upload was signed for ${expect.byteSize}`,
        );
      }
      const sha256 = hash.digest('hex');
      if (expect.sha256 !== undefined && sha256 !== expect.sha256) {
        throw new UploadMismatchError('sha256', 'The body does not match the signed SHA-256');
      }
      await handle.sync();
      const { ino, mtimeMs } = await handle.stat();
      await handle.close();
      handle = undefined;
      const meta: StoredMeta = { contentType: expect.contentType, byteSize: written, sha256, ino, mtimeMs };
      await mkdir(dirname(target), { recursive: true });
      await mkdir(dirname(metaPath(key)), { recursive: true });
      await writeFileAtomically(tmpMeta, metaPath(key), JSON.stringify(meta));
      await rename(tmpData, target);
    } catch (error) {
      await handle?.close().catch(() => {});
      await rm(tmpData, { force: true });
      await rm(tmpMeta, { force: true });
      if (error instanceof UploadMismatchError) throw error;
      if (isErrno(error, 'ENOTDIR') || isErrno(error, 'EISDIR') || isErrno(error, 'EEXIST')) {
        throw new ValidationError('Invalid object key', { key: ['collides with another object'] });
      }
      throw storageFailure('write', error);
    }
  };

  const headOf = async (key: string): Promise<ObjectHead | null> => {
    let file: { size: number; ino: number; mtimeMs: number };
    try {
      file = await stat(dataPath(key));
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return null;
      throw storageFailure('read', error);
    }
    const meta = await readMeta(key);
    // The recorded hash holds only for the file it was computed from: the same inode, unchanged since.
    const current =
      meta !== null && meta.ino === file.ino && meta.mtimeMs === file.mtimeMs && meta.byteSize === file.size;
    return {
      byteSize: file.size,
      contentType: meta?.contentType ?? 'application/octet-stream',
      ...(current ? { sha256: meta.sha256 } : {}),
    };
  };

  const openRange = async (key: string, range?: { start: number; end: number }): Promise<Readable | null> => {
    let handle: FileHandle;
    try {
      handle = await open(dataPath(key), 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return null;
      throw storageFailure('read', error);
    }
    return handle.createReadStream({
      highWaterMark: CHUNK_BYTES,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  };

  return {
    kind: 'local',

    async createUploadUrl(input: UploadUrlInput): Promise<SignedUpload> {
      assertUploadInput(input);
      const expires = Math.floor(now() / 1000) + input.expiresInSeconds;
      const params: Record<string, string> = {
        expires: String(expires),
        ct: input.contentType,
        size: String(input.byteSize),
        ...(input.sha256 ? { sha256: input.sha256 } : {}),
      };
      return {
        url: signedUrl(input.key, params, uploadFields(input.key, params)),
        method: 'PUT',
        headers: { 'content-type': input.contentType },
        expiresAt: new Date(expires * 1000),
      };
    },

    async createDownloadUrl(input: DownloadUrlInput): Promise<SignedDownload> {
      assertDownloadInput(input);
      const expires = Math.floor(now() / 1000) + input.expiresInSeconds;
      const params: Record<string, string> = {
        expires: String(expires),
        disposition: input.disposition,
        ...(input.fileName ? { name: input.fileName } : {}),
        ...(input.contentType ? { ct: input.contentType } : {}),
      };
      return {
        url: signedUrl(input.key, params, downloadFields(input.key, params)),
        expiresAt: new Date(expires * 1000),
      };
    },

    verifyUpload(key, query) {
      assertObjectKey(key);
      const params = singleValued(query);
      verify(params, uploadFields(key, params));
      return {
        key,
        contentType: params.ct ?? '',
        byteSize: Number(params.size),
        ...(params.sha256 ? { sha256: params.sha256 } : {}),
      };
    },

    verifyDownload(key, query) {
      assertObjectKey(key);
      const params = singleValued(query);
      verify(params, downloadFields(key, params));
      return {
        key,
        disposition: params.disposition === 'inline' ? 'inline' : 'attachment',
        ...(params.name ? { fileName: params.name } : {}),
        ...(params.ct ? { contentType: params.ct } : {}),
      };
    },

    async receive(grant, body) {
      return write(grant.key, body, grant);
    },

    async openRange(key, range) {
      assertObjectKey(key);
      return openRange(key, range);
    },

    async head(key) {
      assertObjectKey(key);
      return headOf(key);
    },

    async sha256(key) {
      assertObjectKey(key);
      const head = await headOf(key);
      if (!head) return null;
      // Computed from the bytes as they were written, and still describing this very file.
      if (head.sha256) return head.sha256;
      const stream = await openRange(key);
      if (!stream) return null;
      const hash = createHash('sha256');
      try {
        for await (const chunk of stream) hash.update(chunk as Buffer);
      } catch (error) {
        throw storageFailure('read', error);
      }
      return hash.digest('hex');
    },

    async readRange(key, range) {
      assertObjectKey(key);
      assertReadRange(range);
      let handle: FileHandle;
      try {
        handle = await open(dataPath(key), 'r');
      } catch (error) {
        if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return null;
        throw storageFailure('read', error);
      }
      try {
        const buffer = Buffer.alloc(range.length);
        const { bytesRead } = await handle.read(buffer, 0, range.length, range.offset);
        return buffer.subarray(0, bytesRead);
      } catch (error) {
        throw storageFailure('read', error);
      } finally {
        await handle.close();
      }
    },

    async open(key) {
      assertObjectKey(key);
      return openRange(key);
    },

    async put(key, bytes, { contentType }) {
      assertObjectKey(key);
      if (!isMediaType(contentType))
        throw new ValidationError('Invalid content type', { contentType: ['not a media type'] });
      await write(key, [bytes], { contentType });
    },

    async delete(key) {
      assertObjectKey(key);
      try {
        await unlink(dataPath(key)).catch(ignore('ENOENT', 'ENOTDIR'));
        await unlink(metaPath(key)).catch(ignore('ENOENT', 'ENOTDIR'));
        // Each key has its own `{org}/{uuid}/` directory: remove the ones this leaves empty.
        await pruneEmptyDirectories(root, dirname(dataPath(key)));
        await pruneEmptyDirectories(join(root, '.meta'), dirname(metaPath(key)));
      } catch (error) {
        throw storageFailure('delete', error);
      }
    },

    async close() {},
  };
}

// What each signature covers, in a fixed order. JSON encoding of the list keeps fields apart whatever
// they contain, so no value can be shifted into its neighbour.
function uploadFields(key: string, params: Record<string, string | undefined>): string[] {
  return ['PUT', key, params.expires ?? '', params.ct ?? '', params.size ?? '', params.sha256 ?? ''];
}

function downloadFields(key: string, params: Record<string, string | undefined>): string[] {
  return ['GET', key, params.expires ?? '', params.disposition ?? '', params.name ?? '', params.ct ?? ''];
}

/**
 * The query as one value per name. A repeated name is refused: the signature is checked against one
 * reading of the query and the grant built from it, so `?ct=text/html&ct=image/png` must not be able
 * to mean one thing to each.
 */
function singleValued(query: URLSearchParams): Record<string, string> {
  // No prototype: a parameter named __proto__ is just a name.
  const params: Record<string, string> = Object.create(null);
  for (const [name, value] of query) {
    if (Object.hasOwn(params, name)) throw new ForbiddenError(`The link repeats the parameter "${name}"`);
    params[name] = value;
  }
  return params;
}

/** `{org}/{uuid}/a b.png` → `{org}/{uuid}/a%20b.png`: each segment encoded, the slashes kept. */
function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** The path of `relative` under `base`; a key that would leave it (it cannot, once validated) throws. */
function inside(base: string, relative: string): string {
  const path = resolve(base, ...relative.split('/'));
  if (!path.startsWith(base + sep))
    throw new ValidationError('Invalid object key', { key: ['outside the store'] });
  return path;
}

async function writeFileAtomically(tmp: string, target: string, content: string): Promise<void> {
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, target);
}

async function pruneEmptyDirectories(base: string, from: string): Promise<void> {
  for (let dir = from; dir.startsWith(base + sep); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch (error) {
      if (isErrno(error, 'ENOTEMPTY') || isErrno(error, 'EEXIST') || isErrno(error, 'ENOENT')) return;
      throw error;
    }
  }
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

function ignore(...codes: string[]) {
  return (error: unknown) => {
    if (!codes.some((code) => isErrno(error, code))) throw error;
  };
}

function storageFailure(during: 'read' | 'write' | 'delete', cause: unknown): ObjectStorageError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return new ObjectStorageError('UNAVAILABLE', `Local object storage could not ${during} (${code})`, cause);
}
