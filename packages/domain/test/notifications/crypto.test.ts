import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import {
  createNotificationKeyring,
  DEV_NOTIFICATIONS_ENCRYPTION_KEY,
  open,
  parseNotificationKey,
  recipientHash,
  recipientHashCandidates,
  seal,
  ZNotificationPreviousKeys,
} from '../../src/notifications/crypto.ts';

const key = () => randomBytes(32).toString('base64');

describe('notification encryption (AES-256-GCM) and lookup hashes (HMAC-SHA-256)', () => {
  it('seals to ciphertext that does not contain the plaintext and opens it again', () => {
    const keyring = createNotificationKeyring(key());
    const sealed = seal(keyring, 'ada@example.com', 'notification:1:recipient');
    expect(sealed.toString('latin1')).not.toContain('ada@example.com');
    expect(sealed.toString('utf8')).not.toContain('ada');
    expect(open(keyring, sealed, 'notification:1:recipient')).toBe('ada@example.com');
    // A fresh IV every time: equal plaintexts do not give equal ciphertexts.
    expect(seal(keyring, 'ada@example.com', 'notification:1:recipient').equals(sealed)).toBe(false);
  });

  it('binds a ciphertext to its row and column: moved elsewhere it does not open', () => {
    const keyring = createNotificationKeyring(key());
    const sealed = seal(keyring, 'secret', 'notification:1:content');
    expect(() => open(keyring, sealed, 'notification:2:content')).toThrow(AppError);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(() => open(keyring, tampered, 'notification:1:content')).toThrow(/integrity/);
  });

  it('rotation: a keyring with the old key as previous reads old rows and finds old hashes', () => {
    const oldKey = key();
    const newKey = key();
    const before = createNotificationKeyring(oldKey);
    const sealed = seal(before, 'ada@example.com', 'ctx');
    const oldHash = recipientHash(before, 'ada@example.com');

    const after = createNotificationKeyring(newKey, [oldKey]);
    expect(open(after, sealed, 'ctx')).toBe('ada@example.com');
    expect(recipientHash(after, 'ada@example.com')).not.toBe(oldHash);
    expect(recipientHashCandidates(after, 'ADA@example.com ')).toContain(oldHash);
    // Without the old key the row cannot be read, and the error says why.
    expect(() => open(createNotificationKeyring(newKey), sealed, 'ctx')).toThrow(/key this process lacks/);
  });

  it('hashes addresses case-insensitively and keyed (another key, another hash)', () => {
    const keyring = createNotificationKeyring(key());
    expect(recipientHash(keyring, 'Ada@Example.com')).toBe(recipientHash(keyring, 'ada@example.com'));
    expect(recipientHash(keyring, 'ada@example.com')).toMatch(/^[0-9a-f]{64}$/);
    expect(recipientHash(createNotificationKeyring(key()), 'ada@example.com')).not.toBe(
      recipientHash(keyring, 'ada@example.com'),
    );
  });

  it('accepts 32-byte keys as base64 or hex, and nothing else', () => {
    expect(parseNotificationKey(randomBytes(32).toString('hex'))).toHaveLength(32);
    expect(parseNotificationKey(randomBytes(32).toString('base64url'))).toHaveLength(32);
    expect(parseNotificationKey(DEV_NOTIFICATIONS_ENCRYPTION_KEY)).toHaveLength(32);
    expect(() => parseNotificationKey('short')).toThrow(/32 random bytes/);
    expect(() => parseNotificationKey(randomBytes(16).toString('hex'))).toThrow(/32 random bytes/);
    expect(ZNotificationPreviousKeys.safeParse(`${key()}, ${key()}`).data).toHaveLength(2);
    expect(ZNotificationPreviousKeys.safeParse('nope').success).toBe(false);
  });
});
