import { randomInt } from 'node:crypto';
import { type Algorithm, hash, type Options, parseOptions, verify } from '@node-rs/argon2';
import { randomToken } from './tokens.ts';

/**
 * Password hashing: argon2id with OWASP's first recommended parameter set (19 MiB, 2 passes, 1 lane —
 * ~75 ms per hash on the reference machine). `@node-rs/argon2` computes off the event loop.
 */
export const ARGON2_OPTIONS = {
  // `Algorithm` is a const enum in the binding's typings; its Argon2id member is 2.
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const satisfies Options;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** False for a wrong password and for a stored value that is not an argon2 hash at all. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random secret nobody knows, made with the current parameters. Sign-in verifies the
 * submitted password against it when the account does not exist or has no password yet, so those
 * answers take as long as a wrong password does (no user enumeration through timing).
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomToken(24));
  return dummyHash;
}

/** Spends one real verification and always answers false. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(await dummyPasswordHash(), password);
  return false;
}

/** True when a stored hash was made with parameters other than today's (rehash on next sign-in). */
export function needsRehash(passwordHash: string): boolean {
  try {
    const used = parseOptions(passwordHash);
    return (
      used.algorithm !== ARGON2_OPTIONS.algorithm ||
      used.memoryCost !== ARGON2_OPTIONS.memoryCost ||
      used.timeCost !== ARGON2_OPTIONS.timeCost ||
      used.parallelism !== ARGON2_OPTIONS.parallelism
    );
  } catch {
    return true;
  }
}

// No 0/o, 1/l/i: a temporary password is typed from an email by a human.
const TEMPORARY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A temporary password: four groups of four (≈79 bits), e.g. `k7mp-2xqa-9fhd-w3ce`. */
export function generateTemporaryPassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    for (let i = 0; i < 4; i++) group += TEMPORARY_ALPHABET[randomInt(0, TEMPORARY_ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}
