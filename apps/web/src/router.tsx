import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { adminRoutes } from './routes/admin/routes.tsx';
import { creatorRoutes } from './routes/creator/routes.tsx';
import { datasetsRoutes } from './routes/datasets/routes.tsx';
import { libraryRoutes } from './routes/library/routes.tsx';
import { mailboxRoutes } from './routes/mailbox/routes.tsx';
import { notificationsRoutes } from './routes/notifications/routes.tsx';
import { opsRoutes } from './routes/ops/routes.tsx';
import { profileRoutes } from './routes/profile/routes.tsx';
import { reviewRoutes } from './routes/review/routes.tsx';
import { statusRoutes } from './routes/status/routes.tsx';
import { todosRoutes } from './routes/todos/routes.tsx';
import { workplaceRoutes } from './routes/workplace/routes.tsx';
import { AppShell } from './shell/app-shell.tsx';
import { NotFoundPage } from './shell/not-found-page.tsx';
import { RouteErrorPage } from './shell/route-error-page.tsx';

const areaRoutes: RouteObject[] = [
  libraryRoutes,
  creatorRoutes,
  reviewRoutes,
  datasetsRoutes,
  workplaceRoutes,
  adminRoutes,
  opsRoutes,
  statusRoutes,
  profileRoutes,
  todosRoutes,
  notificationsRoutes,
  ...(import.meta.env.DEV ? [mailboxRoutes] : []),
];

export const router = createBrowserRouter([
  {
    path: '/',
    element: <AppShell />,
    // Outer boundary: only if the shell itself fails.
    errorElement: <RouteErrorPage />,
    children: [
      {
        // Inner boundary: a failing page renders its error inside the shell, navigation intact.
        errorElement: <RouteErrorPage />,
        children: [
          // Status is the landing page until the Library exists.
          { index: true, element: <Navigate to="/status" replace /> },
          ...areaRoutes,
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
