import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { NotificationDetailPage } from './notifications-detail-page.tsx';
import { NotificationsLayout } from './notifications-layout.tsx';
import { NotificationsListPage } from './notifications-list-page.tsx';
import { SendNotificationPage } from './notifications-send-page.tsx';
import { NotificationTemplatesPage } from './notifications-templates-page.tsx';

/** `/admin/notifications/…`: everything here needs `notifications.send`, like the procedures. */
export const adminNotificationsRoute: RouteObject = {
  path: 'notifications',
  element: (
    <RequirePermission anyOf={['notifications.send']}>
      <NotificationsLayout />
    </RequirePermission>
  ),
  children: [
    { index: true, element: <NotificationsListPage /> },
    { path: 'send', element: <SendNotificationPage /> },
    { path: 'templates', element: <NotificationTemplatesPage /> },
    { path: ':id', element: <NotificationDetailPage /> },
  ],
};
