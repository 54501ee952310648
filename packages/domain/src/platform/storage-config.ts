import { resolve } from 'node:path';
import { z } from 'zod';
import { createClamavScanner } from './clamav-scanner.ts';
import { createLocalObjectStorage } from './local-object-storage.ts';
import type { LogSink } from './logger.ts';
import type { ObjectStorage } from './object-storage.ts';
import { createS3ObjectStorage } from './s3-object-storage.ts';
import { createNoScanner, type Scanner } from './scanner.ts';

/**
 * The development signing key of local object URLs: public (it is in the source), so links signed
 * with it prove nothing. Used outside production when OBJECT_STORAGE_SIGNING_KEY is unset.
 */
export const DEV_OBJECT_STORAGE_SIGNING_KEY = 'atrium-development-object-signing-key-not-secret';

/**
 * The environment variables of object storage, parsed the same way by every process that signs,
 * reads or deletes objects (the API, the scheduler's draft expiry). Extend a process's env schema
 * with `.extend(ZObjectStorageEnv.shape)`.
 */
export const ZObjectStorageEnv = z.object({
  /** Selects the S3 adapter when set; otherwise the local adapter under OBJECT_STORAGE_DIR. */
  S3_BUCKET: z.string().min(3).max(63).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: z.url().optional(),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  OBJECT_STORAGE_DIR: z.string().min(1).default('.data/objects'),
  /**
   * HMAC key of the local adapter's URLs. In production without it (and without S3) object storage is
   * off: datasets and files answer 503. Elsewhere a fixed, public development key, with a warning.
   */
  OBJECT_STORAGE_SIGNING_KEY: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
});

/** The storage settings every process that signs or reads objects shares (docs/storage.md). */
export interface ObjectStorageConfig {
  NODE_ENV: 'development' | 'test' | 'production';
  S3_BUCKET?: string | undefined;
  S3_REGION: string;
  S3_ENDPOINT?: string | undefined;
  S3_FORCE_PATH_STYLE: boolean;
  S3_ACCESS_KEY_ID?: string | undefined;
  S3_SECRET_ACCESS_KEY?: string | undefined;
  OBJECT_STORAGE_DIR: string;
  OBJECT_STORAGE_SIGNING_KEY?: string | undefined;
  /** Where the API's `/objects` is reachable. */
  OBJECT_STORAGE_PUBLIC_URL: string;
}

/**
 * S3 when S3_BUCKET is set, else the local adapter. Null in production when the local adapter has no
 * signing key: storage is then off (procedures that need it answer 503) rather than signing with a
 * public key.
 */
export function objectStorageFromConfig(config: ObjectStorageConfig, log: LogSink): ObjectStorage | null {
  if (config.S3_BUCKET) {
    return createS3ObjectStorage({
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      ...(config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? {
            credentials: {
              accessKeyId: config.S3_ACCESS_KEY_ID,
              secretAccessKey: config.S3_SECRET_ACCESS_KEY,
            },
          }
        : {}),
    });
  }
  let signingKey = config.OBJECT_STORAGE_SIGNING_KEY;
  if (!signingKey) {
    if (config.NODE_ENV === 'production') {
      log.warn(
        {},
        'OBJECT_STORAGE_SIGNING_KEY not set and S3_BUCKET not set: object storage is off (datasets and files answer 503)',
      );
      return null;
    }
    if (config.NODE_ENV === 'development')
      log.warn(
        {},
        'OBJECT_STORAGE_SIGNING_KEY not set: signing local object URLs with the public development key',
      );
    signingKey = DEV_OBJECT_STORAGE_SIGNING_KEY;
  }
  return createLocalObjectStorage({
    root: resolve(config.OBJECT_STORAGE_DIR),
    signingKey,
    baseUrl: config.OBJECT_STORAGE_PUBLIC_URL,
  });
}

export interface ScannerConfig {
  CLAMAV_HOST?: string | undefined;
  CLAMAV_PORT: number;
  CLAMAV_MAX_BYTES: number;
  CLAMAV_TIMEOUT_MS: number;
}

/** ClamAV when CLAMAV_HOST is set, else `none` (nobody looks; docs/storage.md). */
export function scannerFromConfig(config: ScannerConfig, log: LogSink): Scanner {
  if (!config.CLAMAV_HOST) return createNoScanner();
  return createClamavScanner({
    host: config.CLAMAV_HOST,
    port: config.CLAMAV_PORT,
    maxBytes: config.CLAMAV_MAX_BYTES,
    timeouts: { scanMs: config.CLAMAV_TIMEOUT_MS },
    log,
  });
}
