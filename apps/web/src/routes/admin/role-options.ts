import { useQuery } from '@tanstack/react-query';
import { useSession } from '../../auth/use-session.ts';
import { api } from '../../lib/trpc.ts';

/** The built-in roles every organisation has (docs/identity.md). */
export const BUILT_IN_ROLES = ['admin', 'manager', 'editor', 'creator', 'publisher', 'viewer'] as const;

/**
 * Role names to offer when assigning roles: the organisation's roles when the user may read them
 * (`roles.manage`), else the built-in ones (the API still refuses what the user may not grant).
 */
export function useRoleOptions(): { names: string[]; error: unknown } {
  const session = useSession();
  const canReadRoles = session.can('roles.manage');
  const roles = useQuery({ ...api.roles.list.queryOptions(), enabled: canReadRoles });
  if (canReadRoles && roles.data) return { names: roles.data.map((role) => role.name), error: null };
  return { names: [...BUILT_IN_ROLES], error: roles.error };
}
