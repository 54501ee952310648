import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { ValidationError } from '../errors.ts';
import {
  assertDownloadInput,
  assertObjectKey,
  assertReadRange,
  assertUploadInput,
  contentDisposition,
  dispositionFor,
  isMediaType,
  type ObjectHead,
  type ObjectStorage,
  ObjectStorageError,
} from './object-storage.ts';

export interface S3ObjectStorageOptions {
  /** S3_BUCKET */
  bucket: string;
  /** S3_REGION (`us-east-1` for most S3-compatible servers) */
  region: string;
  /** S3_ENDPOINT, for S3-compatible servers (MinIO, s3rver, R2, …); AWS when unset. */
  endpoint?: string;
  /** S3_FORCE_PATH_STYLE: `{endpoint}/{bucket}/{key}` instead of `{bucket}.{endpoint}/{key}`. */
  forcePathStyle?: boolean;
  /** S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY; the SDK's default chain (env, profile, IAM role) when unset. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  timeouts?: Partial<S3Timeouts>;
}

export interface S3Timeouts {
  /** TCP (and TLS) connect. */
  connectionMs: number;
  /** Longest silence on an open request, streamed bodies included. */
  socketMs: number;
}

export const DEFAULT_S3_TIMEOUTS: S3Timeouts = { connectionMs: 5_000, socketMs: 30_000 };

type S3Module = typeof import('@aws-sdk/client-s3');
type PresignerModule = typeof import('@aws-sdk/s3-request-presigner');

/**
 * ObjectStorage on any S3-compatible store. Clients upload and download with presigned URLs, so with
 * S3 configured no byte of an asset passes through the API; the API only HEADs, hashes (when S3 holds
 * no checksum) and sniffs the first bytes.
 *
 * The SDK (client and presigner, ~35 MB of RSS once loaded) is imported, and the client made, on
 * first use: a process that never touches storage does not hold it (SPEC §13 idle RSS).
 */
export function createS3ObjectStorage(options: S3ObjectStorageOptions): ObjectStorage {
  if (!options.bucket) throw new Error('S3_BUCKET is required for the S3 object storage');
  if (options.endpoint !== undefined) new URL(options.endpoint); // fails at start on a malformed S3_ENDPOINT
  const timeouts = { ...DEFAULT_S3_TIMEOUTS, ...options.timeouts };
  const bucket = options.bucket;

  let loaded: Promise<{ s3: S3Module; presigner: PresignerModule; client: S3Client }> | undefined;
  const sdk = () =>
    (loaded ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]).then(
      ([s3, presigner]) => ({
        s3,
        presigner,
        client: new s3.S3Client({
          region: options.region,
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          forcePathStyle: options.forcePathStyle ?? false,
          ...(options.credentials ? { credentials: options.credentials } : {}),
          // Only the checksums we ask for: by default SDK 3.7xx+ adds a CRC32 of the (empty) body to
          // presigned PUTs, which no real upload then matches.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          requestHandler: { connectionTimeout: timeouts.connectionMs, requestTimeout: timeouts.socketMs },
          maxAttempts: 3,
        }),
      }),
    ));

  const headObject = async (key: string): Promise<ObjectHead | null> => {
    const { s3, client } = await sdk();
    try {
      const head = await client.send(
        new s3.HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
      // A multipart upload's checksum is a checksum of part checksums (`…-3`, ChecksumType COMPOSITE),
      // not the SHA-256 of the object.
      const fullObject =
        head.ChecksumSHA256 && head.ChecksumType !== 'COMPOSITE' && !head.ChecksumSHA256.includes('-');
      return {
        byteSize: head.ContentLength ?? 0,
        contentType:
          head.ContentType && isMediaType(head.ContentType) ? head.ContentType : 'application/octet-stream',
        ...(fullObject
          ? { sha256: Buffer.from(head.ChecksumSHA256 as string, 'base64').toString('hex') }
          : {}),
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw s3Failure('head', error);
    }
  };

  const getObject = async (key: string, range?: string): Promise<Readable | null | 'unsatisfiable'> => {
    const { s3, client } = await sdk();
    try {
      const object = await client.send(
        new s3.GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}) }),
      );
      return object.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return null;
      if (statusOf(error) === 416) return 'unsatisfiable';
      throw s3Failure('read', error);
    }
  };

  return {
    kind: 's3',

    async createUploadUrl(input) {
      assertUploadInput(input);
      const { s3, presigner, client } = await sdk();
      const checksum = input.sha256 ? Buffer.from(input.sha256, 'hex').toString('base64') : undefined;
      const url = await presigner.getSignedUrl(
        client,
        new s3.PutObjectCommand({
          Bucket: bucket,
          Key: input.key,
          ContentType: input.contentType,
          ContentLength: input.byteSize,
          ...(checksum ? { ChecksumSHA256: checksum } : {}),
        }),
        {
          expiresIn: input.expiresInSeconds,
          // Signed as headers, so S3 refuses an upload of another size or type (SignatureDoesNotMatch),
          // and checks the body against the checksum header (BadDigest). A checksum hoisted into the
          // query would be signed too, but S3 does not verify the body against query parameters.
          signableHeaders: new Set(['content-type', 'content-length']),
          unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
        },
      );
      return {
        url,
        method: 'PUT',
        headers: {
          'content-type': input.contentType,
          ...(checksum ? { 'x-amz-checksum-sha256': checksum } : {}),
        },
        expiresAt: new Date(Date.now() + input.expiresInSeconds * 1000),
      };
    },

    async createDownloadUrl(input) {
      assertDownloadInput(input);
      const { s3, presigner, client } = await sdk();
      // Without the type, inline cannot be shown to be safe (fetching it would cost a HEAD per link).
      const disposition = dispositionFor(input.disposition, input.contentType);
      const url = await presigner.getSignedUrl(
        client,
        new s3.GetObjectCommand({
          Bucket: bucket,
          Key: input.key,
          ResponseContentDisposition: contentDisposition(disposition, input.fileName),
          ResponseCacheControl: 'private, no-store',
          ...(input.contentType ? { ResponseContentType: input.contentType } : {}),
        }),
        { expiresIn: input.expiresInSeconds },
      );
      return { url, expiresAt: new Date(Date.now() + input.expiresInSeconds * 1000) };
    },

    async head(key) {
      assertObjectKey(key);
      return headObject(key);
    },

    async sha256(key) {
      assertObjectKey(key);
      const head = await headObject(key);
      if (!head) return null;
      if (head.sha256) return head.sha256;
      const body = await getObject(key);
      if (body === null) return null;
      if (body === 'unsatisfiable') return createHash('sha256').digest('hex');
      const hash = createHash('sha256');
      try {
        for await (const chunk of body) hash.update(chunk as Buffer);
      } catch (error) {
        throw s3Failure('read', error);
      }
      return hash.digest('hex');
    },

    async readRange(key, range) {
      assertObjectKey(key);
      assertReadRange(range);
      const body = await getObject(key, `bytes=${range.offset}-${range.offset + range.length - 1}`);
      if (body === null) return null;
      if (body === 'unsatisfiable') return new Uint8Array(0);
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of body) chunks.push(chunk as Buffer);
      } catch (error) {
        throw s3Failure('read', error);
      }
      return Buffer.concat(chunks);
    },

    async open(key) {
      assertObjectKey(key);
      const body = await getObject(key);
      return body === 'unsatisfiable' ? null : body;
    },

    async put(key, bytes, { contentType }) {
      assertObjectKey(key);
      if (!isMediaType(contentType))
        throw new ValidationError('Invalid content type', { contentType: ['not a media type'] });
      const { s3, client } = await sdk();
      try {
        await client.send(
          new s3.PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: bytes,
            ContentType: contentType,
            ContentLength: bytes.byteLength,
            // Stored with the object, so head() and sha256() need not read it back.
            ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
          }),
        );
      } catch (error) {
        throw s3Failure('write', error);
      }
    },

    async delete(key) {
      assertObjectKey(key);
      const { s3, client } = await sdk();
      try {
        await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (isNotFound(error)) return;
        throw s3Failure('delete', error);
      }
    },

    async close() {
      const current = loaded;
      loaded = undefined;
      (await current?.catch(() => null))?.client.destroy();
    },
  };
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || statusOf(error) === 404;
}

/**
 * No answer, a timeout or a 5xx: the store is unavailable (retry later). Any other refusal (403
 * AccessDenied, a missing bucket): it answered, wrongly for us — a configuration problem.
 */
function s3Failure(during: 'head' | 'read' | 'write' | 'delete', error: unknown): ObjectStorageError {
  const status = statusOf(error);
  const name = (error as { name?: string } | undefined)?.name ?? 'Error';
  const code = status === undefined || status >= 500 ? 'UNAVAILABLE' : 'BAD_GATEWAY';
  return new ObjectStorageError(code, `S3 ${during} failed (${name}${status ? ` ${status}` : ''})`, error);
}
