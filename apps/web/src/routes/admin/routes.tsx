import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { ADMIN_PERMISSIONS } from '../../shell/navigation.ts';
import { AdminIndexPage, AdminLayout } from './admin-layout.tsx';
import { AuditPage } from './audit-page.tsx';
import { InvitationsPage } from './invitations-page.tsx';
import { MembersPage } from './members-page.tsx';
import { adminNotificationsRoute } from './notifications-routes.tsx';
import { RolesPage } from './roles-page.tsx';
import { UsersLayout } from './users-layout.tsx';

/** Admin (SPEC §11): users, roles, audit, notifications. Each section checks its own permission. */
export const adminRoutes: RouteObject = {
  path: 'admin',
  element: (
    <RequirePermission anyOf={ADMIN_PERMISSIONS}>
      <AdminLayout />
    </RequirePermission>
  ),
  children: [
    { index: true, element: <AdminIndexPage /> },
    {
      path: 'users',
      element: (
        <RequirePermission anyOf={['users.manage']}>
          <UsersLayout />
        </RequirePermission>
      ),
      children: [
        { index: true, element: <MembersPage /> },
        { path: 'invitations', element: <InvitationsPage /> },
      ],
    },
    {
      path: 'roles',
      element: (
        <RequirePermission anyOf={['roles.manage']}>
          <RolesPage />
        </RequirePermission>
      ),
    },
    {
      path: 'audit',
      element: (
        <RequirePermission anyOf={['audit.read']}>
          <AuditPage />
        </RequirePermission>
      ),
    },
    adminNotificationsRoute,
  ],
};
