import { AppError } from '../errors.ts';
import type { Permission } from './permissions.ts';

/** Who is calling, as every use case sees it once the transport has authenticated the request. */
export interface Session {
  userId: string;
  orgId: string;
  roles: readonly string[];
  permissions: ReadonlySet<Permission>;
  /** Platform-wide role: operators see every org's queues in the Ops console. */
  platformRole: 'operator' | null;
  /** The permission version the caller's token was issued under (SPEC §1). */
  permissionVersion: number;
  /**
   * Set while the user must replace a temporary password: the API then refuses every procedure but
   * `users.me` and `auth.changePassword` (403 FORBIDDEN, reason PASSWORD_CHANGE_REQUIRED).
   */
  mustChangePassword?: boolean;
}

/** The machine-readable reason of the 403 a pending password change causes. */
export const PASSWORD_CHANGE_REQUIRED = 'PASSWORD_CHANGE_REQUIRED';

/** The gate of the procedure ladder: a session with a pending password change may not proceed. */
export function assertNoPendingPasswordChange(session: Session): void {
  if (session.mustChangePassword) {
    throw new AppError('FORBIDDEN', 'Change your temporary password to continue', {
      details: { reason: PASSWORD_CHANGE_REQUIRED },
    });
  }
}
