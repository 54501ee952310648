/**
 * The address waiting for its verification code, kept for this tab only (sessionStorage) so the
 * verify page can be prefilled after a detour to the mailbox. An email address, never a secret.
 */
const KEY = 'atrium.pendingVerificationEmail';

export function rememberPendingEmail(email: string): void {
  try {
    sessionStorage.setItem(KEY, email);
  } catch {
    // Storage disabled: the user types the address again.
  }
}

export function pendingEmail(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function forgetPendingEmail(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing to forget.
  }
}
