import type { RouteObject } from 'react-router';
import { InboxPage } from './inbox-page.tsx';

/** The caller's in-app notifications (SPEC §6, §11); the top bar's bell links here. */
export const notificationsRoutes: RouteObject = {
  path: 'notifications',
  element: <InboxPage />,
};
