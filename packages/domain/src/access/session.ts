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
}
