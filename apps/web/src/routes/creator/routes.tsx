import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { ApplicationPage } from './application-page.tsx';
import { CreatorLayout } from './creator-layout.tsx';
import { MyContentPage } from './my-content-page.tsx';

/** Creator (SPEC §3, §11): the application for every member, My content for creators. */
export const creatorRoutes: RouteObject = {
  path: 'creator',
  element: <CreatorLayout />,
  children: [
    { index: true, element: <ApplicationPage /> },
    {
      path: 'content',
      element: (
        <RequirePermission anyOf={['content.write']}>
          <MyContentPage />
        </RequirePermission>
      ),
    },
  ],
};
