import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import {
  assertStrongPassword,
  isCommonPassword,
  passwordProblems,
} from '../../src/identity/password-policy.ts';

const email = 'jordan.smith@example.com';

describe('password strength rules', () => {
  it('accepts a long, uncommon password', () => {
    expect(passwordProblems('correct-horse-battery-staple', { email })).toEqual([]);
    expect(passwordProblems('atrium-demo-2026', { email: 'admin@demo.atrium.local' })).toEqual([]);
  });

  it('wants at least 12 characters (counted as characters, not bytes)', () => {
    expect(passwordProblems('short-pw-1', { email })).toContain('Use at least 12 characters');
    expect(passwordProblems('ünïcödé-pässwörd'.slice(0, 11), { email })).toContain(
      'Use at least 12 characters',
    );
    expect(passwordProblems('ünïcödé-päss', { email })).toEqual([]);
  });

  it('refuses the email address, its local part, and passwords containing the local part', () => {
    for (const password of ['jordan.smith@example.com', 'JORDAN.SMITH', 'my-jordan.smith-pass']) {
      expect(passwordProblems(password, { email })).toContain(
        'Do not use your email address in your password',
      );
    }
    // A very short local part is not searched for inside passwords (it would forbid too much).
    expect(passwordProblems('bobsleigh-winter-run', { email: 'bob@example.com' })).toEqual([]);
    expect(passwordProblems('bob', { email: 'bob@example.com' })).toContain(
      'Do not use your email address in your password',
    );
  });

  it('refuses common passwords, also with digits or symbols appended, and single repeated characters', () => {
    expect(isCommonPassword('1qaz2wsx3edc')).toBe(true);
    expect(isCommonPassword('QWERTYUIOP123')).toBe(true);
    expect(isCommonPassword('password2024!')).toBe(true);
    expect(isCommonPassword('football12345')).toBe(true);
    expect(isCommonPassword('lighthouse-keeper-42')).toBe(false);
    expect(passwordProblems('qwertyuiop123', { email })).toContain(
      'This password is too common; choose one that is harder to guess',
    );
    expect(passwordProblems('aaaaaaaaaaaaaa', { email })).toContain('Do not repeat a single character');
  });

  it('ships at least the 1,000 most common passwords', () => {
    for (const password of ['123456', 'password', 'qwerty', 'letmein', 'dragon', 'iloveyou', 'trustno1']) {
      expect(isCommonPassword(password)).toBe(true);
    }
  });

  it('throws 400 VALIDATION_ERROR with the problems on the named field', () => {
    try {
      assertStrongPassword('password', { email }, 'next');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fieldErrors.next).toEqual([
        'Use at least 12 characters',
        'This password is too common; choose one that is harder to guess',
      ]);
    }
  });
});
