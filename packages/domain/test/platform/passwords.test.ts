import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import {
  ARGON2_OPTIONS,
  dummyPasswordHash,
  generateTemporaryPassword,
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from '../../src/platform/passwords.ts';
import { digestsEqual, randomDigits, randomToken, sha256Hex } from '../../src/platform/tokens.ts';

describe('password hashing', () => {
  it('hashes with argon2id at m=19456, t=2, p=1, salted, and verifies', async () => {
    const hash = await hashPassword('a long enough passphrase');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hashPassword('a long enough passphrase')).not.toBe(hash);
    expect(await verifyPassword(hash, 'a long enough passphrase')).toBe(true);
    expect(await verifyPassword(hash, 'a long enough passphrasE')).toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it('answers false (not an error) for a stored value that is not a hash', async () => {
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
    expect(needsRehash('not-a-hash')).toBe(true);
  });

  it('keeps a dummy hash with the same cost as real ones, and never matches it', async () => {
    const dummy = await dummyPasswordHash();
    const options = parseOptions(dummy);
    expect(options).toMatchObject({
      algorithm: ARGON2_OPTIONS.algorithm,
      memoryCost: ARGON2_OPTIONS.memoryCost,
      timeCost: ARGON2_OPTIONS.timeCost,
      parallelism: ARGON2_OPTIONS.parallelism,
    });
    expect(await dummyPasswordHash()).toBe(dummy);
    expect(await verifyAgainstDummy('anything')).toBe(false);
  });

  it('makes readable temporary passwords of ~79 bits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const password = generateTemporaryPassword();
      expect(password).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
      seen.add(password);
    }
    expect(seen.size).toBe(50);
  });
});

describe('opaque tokens', () => {
  it('makes 256-bit base64url tokens and 6-digit codes', () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(randomToken());
    const codes = Array.from({ length: 200 }, () => randomDigits(6));
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it('stores SHA-256 hex and compares digests in constant time', () => {
    const digest = sha256Hex('token');
    expect(digest).toBe('3c469e9d6c5875d37a43f353d4f88e61fcf812c66eee3457465a40b0da4153e0');
    expect(digestsEqual(digest, sha256Hex('token'))).toBe(true);
    expect(digestsEqual(digest, sha256Hex('other'))).toBe(false);
    expect(digestsEqual(digest, '')).toBe(false);
  });
});
