import type { RouteObject } from 'react-router';
import { StatusPage } from './status-page.tsx';

export const statusRoutes: RouteObject = {
  path: 'status',
  element: <StatusPage />,
};
