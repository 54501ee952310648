import { createBrowserRouter, type RouteObject } from 'react-router';
import { RequireSession } from './auth/guards.tsx';
import { adminRoutes } from './routes/admin/routes.tsx';
import { authRoutes } from './routes/auth/routes.tsx';
import { creatorRoutes } from './routes/creator/routes.tsx';
import { datasetsRoutes } from './routes/datasets/routes.tsx';
import { filesRoutes } from './routes/files/routes.tsx';
import { homeRoutes } from './routes/home/routes.tsx';
import { libraryRoutes, publicLibraryRoutes } from './routes/library/routes.tsx';
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

/**
 * Areas for signed-in users (RequireSession sends everyone else to sign-in, and back after): Home at
 * `/`, and System status, whose infrastructure detail is for those who operate (docs/ops.md).
 */
const areaRoutes: RouteObject[] = [
  homeRoutes,
  statusRoutes,
  libraryRoutes,
  creatorRoutes,
  reviewRoutes,
  datasetsRoutes,
  workplaceRoutes,
  adminRoutes,
  opsRoutes,
  profileRoutes,
  todosRoutes,
  filesRoutes,
  notificationsRoutes,
];

/**
 * Pages anyone may open: the account pages (sign-in, sign-up, verification, password reset; sign-in
 * says when the API cannot be reached), the public Library of an org and the dev Mailbox
 * (verification codes arrive there before anyone can sign in; the page says so when the API does not
 * offer it).
 */
const publicRoutes: RouteObject[] = [...authRoutes, mailboxRoutes, publicLibraryRoutes];

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
          ...publicRoutes,
          { element: <RequireSession />, children: areaRoutes },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
