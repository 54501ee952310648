import type { RouteObject } from 'react-router';
import { HomePage } from './home-page.tsx';

/** `/`: Home, for signed-in users (the router puts it behind RequireSession). */
export const homeRoutes: RouteObject = {
  index: true,
  element: <HomePage />,
};
