import { readFileSync } from 'node:fs';
import { ValidationError } from '../errors.ts';

/**
 * Password strength rules (SPEC §1, after NIST SP 800-63B: length and a blocklist, no composition
 * rules): at least 12 characters; not the email address or its local part, and not containing the
 * local part; not one of the 10,000 most common passwords — nor one of them with only digits or
 * symbols appended ("password2024!"); not one character repeated.
 */
export const MIN_PASSWORD_LENGTH = 12;
/** Input bound, so a megabyte "password" cannot make hashing a denial of service. */
export const MAX_PASSWORD_LENGTH = 256;
// Shorter local parts ("al@…") would forbid too many good passwords by containment.
const MIN_LOCAL_PART_FOR_CONTAINMENT = 4;

let commonPasswords: ReadonlySet<string> | undefined;

function loadCommonPasswords(): ReadonlySet<string> {
  commonPasswords ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !line.startsWith('#')),
  );
  return commonPasswords;
}

export function isCommonPassword(password: string): boolean {
  const list = loadCommonPasswords();
  const lower = password.toLowerCase();
  if (list.has(lower)) return true;
  // "dragon123456", "password2024!": a listed word with a counter or a symbol tacked on.
  const stem = lower.replace(/[\d\W_]+$/u, '');
  return stem.length >= 4 && stem !== lower && list.has(stem);
}

/** Every rule the password breaks, as messages for the form (empty when it is acceptable). */
export function passwordProblems(password: string, context: { email: string }): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) problems.push(`Use at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH) problems.push(`Use at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  const email = context.email.trim().toLowerCase();
  const localPart = email.split('@')[0] ?? '';
  if (
    lower === email ||
    (localPart.length > 0 && lower === localPart) ||
    (localPart.length >= MIN_LOCAL_PART_FOR_CONTAINMENT && lower.includes(localPart))
  ) {
    problems.push('Do not use your email address in your password');
  }
  if (isCommonPassword(password))
    problems.push('This password is too common; choose one that is harder to guess');
  else if (length > 0 && new Set(password).size === 1) problems.push('Do not repeat a single character');
  return problems;
}

/** Throws 400 VALIDATION_ERROR with `fieldErrors[field]` when the password breaks a rule. */
export function assertStrongPassword(password: string, context: { email: string }, field = 'password'): void {
  const problems = passwordProblems(password, context);
  if (problems.length > 0) throw new ValidationError('Choose a stronger password', { [field]: problems });
}
