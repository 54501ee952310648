import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { LogSink } from '../platform/logger.ts';

/**
 * Encryption at rest for notifications (docs/notifications.md): recipient addresses, and the subject,
 * body and variables of sensitive notifications, are stored as AES-256-GCM ciphertext; addresses also
 * get an HMAC-SHA-256 lookup hash so `notifications.list` can filter by recipient without decrypting.
 *
 * One 32-byte master key (env NOTIFICATIONS_ENCRYPTION_KEY) is expanded with HKDF into an encryption
 * key and a separate lookup key. Earlier master keys may be kept for reading (rotation): ciphertext
 * names the key it was sealed with, and recipient lookups try the hash under every key.
 *
 * Sealed format (bytea): 0x01 | key id (4 bytes) | IV (12) | GCM tag (16) | ciphertext. The additional
 * authenticated data binds a value to its row and column, so a ciphertext copied into another row or
 * column fails to open.
 */

const FORMAT_VERSION = 0x01;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES;

interface DerivedKey {
  /** First 4 bytes of SHA-256(master key): names the key in ciphertext, reveals nothing usable. */
  id: Buffer;
  encryption: Buffer;
  lookup: Buffer;
}

export interface NotificationKeyring {
  /** Seals new values. */
  readonly current: DerivedKey;
  /** Opens values sealed under older keys; their hashes still match in recipient lookups. */
  readonly previous: readonly DerivedKey[];
}

/**
 * The development and test default: a fixed key derived from a public string, so data written by one
 * `pnpm dev` run stays readable by the next. It protects nothing — the processes' env refuses to start
 * without a real key in production and warns loudly when this one is used.
 */
export const DEV_NOTIFICATIONS_ENCRYPTION_KEY = createHash('sha256')
  .update('atrium development notifications key — not a secret, never use in production', 'utf8')
  .digest('base64');

/**
 * Reads a master key: 32 bytes as base64 (44 characters), base64url or hex (64 characters). Throws a
 * plain Error (a configuration problem, reported by the process's env parser).
 */
export function parseNotificationKey(text: string): Buffer {
  const value = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) bytes = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) bytes = Buffer.from(value, 'base64');
  if (bytes?.length !== 32) {
    throw new Error('must be 32 random bytes, base64 (44 characters) or hex (64 characters)');
  }
  return bytes;
}

function derive(master: Buffer): DerivedKey {
  const expand = (info: string) =>
    Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `atrium notifications ${info}`, 32));
  return {
    id: createHash('sha256').update(master).digest().subarray(0, KEY_ID_BYTES),
    encryption: expand('encryption v1'),
    lookup: expand('lookup v1'),
  };
}

/** A keyring from the current master key and, optionally, keys it replaced (still readable). */
export function createNotificationKeyring(
  currentKey: string,
  previousKeys: readonly string[] = [],
): NotificationKeyring {
  return Object.freeze({
    current: derive(parseNotificationKey(currentKey)),
    previous: Object.freeze(previousKeys.map((key) => derive(parseNotificationKey(key)))),
  });
}

let configured: NotificationKeyring | null = null;
let fallback: NotificationKeyring | null = null;

/**
 * Sets the process's keyring. The API and the worker call it at start with the key from their env;
 * any other process that sends or reads notifications must too.
 */
export function configureNotificationKeys(keyring: NotificationKeyring): void {
  configured = keyring;
}

/**
 * The process's keyring. Unconfigured (unit tests, scripts) it is the development key; production
 * processes always configure one (their env requires NOTIFICATIONS_ENCRYPTION_KEY).
 */
export function notificationKeyring(): NotificationKeyring {
  if (configured) return configured;
  fallback ??= createNotificationKeyring(DEV_NOTIFICATIONS_ENCRYPTION_KEY);
  return fallback;
}

/** What a sealed value belongs to, e.g. `notification:<id>:recipient`. Mixed into the GCM tag. */
export type SealContext = string;

export function seal(keyring: NotificationKeyring, plaintext: string, context: SealContext): Buffer {
  const key = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.encryption, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), key.id, iv, cipher.getAuthTag(), body]);
}

/**
 * Opens a sealed value. A value that does not open (unknown key, tampered bytes, wrong row) is an
 * INTERNAL error: it means lost keys or a corrupted database, never bad input.
 */
export function open(keyring: NotificationKeyring, sealed: Uint8Array, context: SealContext): string {
  const bytes = Buffer.from(sealed);
  if (bytes.length < HEADER_BYTES || bytes[0] !== FORMAT_VERSION) {
    throw new AppError('INTERNAL', 'An encrypted notification field has an unknown format');
  }
  const keyId = bytes.subarray(1, 1 + KEY_ID_BYTES);
  const key = [keyring.current, ...keyring.previous].find((candidate) => candidate.id.equals(keyId));
  if (!key) {
    throw new AppError(
      'INTERNAL',
      'An encrypted notification field was sealed with a key this process lacks',
    );
  }
  const ivStart = 1 + KEY_ID_BYTES;
  const iv = bytes.subarray(ivStart, ivStart + IV_BYTES);
  const tag = bytes.subarray(ivStart + IV_BYTES, HEADER_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.encryption, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES)), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new AppError('INTERNAL', 'An encrypted notification field failed its integrity check', {
      cause: error,
    });
  }
}

/** Addresses compare case-insensitively (like users.email, a citext); hashed in this form. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function lookupHash(key: DerivedKey, email: string): string {
  return createHmac('sha256', key.lookup).update(normaliseEmail(email), 'utf8').digest('hex');
}

/** The lookup hash stored with a new row (current key). */
export function recipientHash(keyring: NotificationKeyring, email: string): string {
  return lookupHash(keyring.current, email);
}

/** Every hash the address may be stored under (current and previous keys), for lookups. */
export function recipientHashCandidates(keyring: NotificationKeyring, email: string): string[] {
  return [keyring.current, ...keyring.previous].map((key) => lookupHash(key, email));
}

/** An env value holding a master key (validated, not decoded). */
export const ZNotificationKeyText = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    try {
      parseNotificationKey(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

/** Comma-separated earlier master keys, kept so rows sealed under them stay readable. */
export const ZNotificationPreviousKeys = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key.length > 0),
  )
  .pipe(z.array(ZNotificationKeyText));

/**
 * Builds and installs the process's keyring from its env (`NOTIFICATIONS_ENCRYPTION_KEY`, optional
 * `NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS`). The env parsers refuse a missing key in production; outside
 * production a missing key means the public development key, announced with a warning on every start.
 */
export function configureNotificationKeysFromEnv(
  env: {
    NOTIFICATIONS_ENCRYPTION_KEY?: string | undefined;
    NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS?: string[];
  },
  log: LogSink,
): NotificationKeyring {
  const key = env.NOTIFICATIONS_ENCRYPTION_KEY;
  if (!key) {
    log.warn(
      { variable: 'NOTIFICATIONS_ENCRYPTION_KEY' },
      '!!! NOTIFICATIONS_ENCRYPTION_KEY is unset: notification addresses and secrets are encrypted with the PUBLIC development key. Never run like this with real data; set a key (openssl rand -base64 32). !!!',
    );
  }
  const keyring = createNotificationKeyring(
    key ?? DEV_NOTIFICATIONS_ENCRYPTION_KEY,
    env.NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS ?? [],
  );
  configureNotificationKeys(keyring);
  return keyring;
}
