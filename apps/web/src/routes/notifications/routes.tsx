import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const notificationsRoutes: RouteObject = {
  path: 'notifications',
  element: (
    <PlaceholderPage
      title="Notifications"
      arrivesWith="notifications (SPEC §6)"
      plans={['In-app notifications, with a live unread badge in the top bar', 'Notification preferences']}
    />
  ),
};
