import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { ADMIN_PERMISSIONS } from '../../shell/navigation.ts';
import { AdminIndexPage, AdminLayout } from './admin-layout.tsx';
import { AlertRulesPage } from './alert-rules-page.tsx';
import { ApiKeysPage } from './api-keys-page.tsx';
import { AuditPage } from './audit-page.tsx';
import { IncidentDetailPage, IncidentsPage } from './incidents-page.tsx';
import { InvitationsPage } from './invitations-page.tsx';
import { LogsPage } from './logs-page.tsx';
import { MembersPage } from './members-page.tsx';
import { adminNotificationsRoute } from './notifications-routes.tsx';
import { OrgSettingsPage } from './org-settings-page.tsx';
import { RolesPage } from './roles-page.tsx';
import { UserDetailPage } from './user-detail-page.tsx';
import { UsersLayout } from './users-layout.tsx';

/**
 * Admin (SPEC §11): users, roles, audit, notifications, logs, alert rules, incidents and API keys. Each
 * section checks its own permission.
 */
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
        { path: ':userId', element: <UserDetailPage /> },
      ],
    },
    {
      path: 'organisation',
      element: (
        <RequirePermission anyOf={['org.manage']}>
          <OrgSettingsPage />
        </RequirePermission>
      ),
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
    {
      path: 'logs',
      element: (
        <RequirePermission anyOf={['logs.read']}>
          <LogsPage />
        </RequirePermission>
      ),
    },
    {
      path: 'alert-rules',
      element: (
        <RequirePermission anyOf={['incidents.manage']}>
          <AlertRulesPage />
        </RequirePermission>
      ),
    },
    {
      path: 'incidents',
      element: (
        <RequirePermission anyOf={['incidents.manage']}>
          <IncidentsPage />
        </RequirePermission>
      ),
    },
    {
      path: 'incidents/:id',
      element: (
        <RequirePermission anyOf={['incidents.manage']}>
          <IncidentDetailPage />
        </RequirePermission>
      ),
    },
    {
      path: 'api-keys',
      element: (
        <RequirePermission anyOf={['users.manage']}>
          <ApiKeysPage />
        </RequirePermission>
      ),
    },
  ],
};
