import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { ApplicationReviewPage } from './application-review-page.tsx';
import { ApplicationsQueuePage } from './applications-queue-page.tsx';
import { DecidedApplicationsPage } from './decided-applications-page.tsx';
import { ReviewIndexPage, ReviewLayout } from './review-layout.tsx';

/** Review (SPEC §11): creator applications (creators.review); content review joins with SPEC §4. */
export const reviewRoutes: RouteObject = {
  path: 'review',
  element: (
    <RequirePermission anyOf={['creators.review', 'content.review']}>
      <ReviewLayout />
    </RequirePermission>
  ),
  children: [
    { index: true, element: <ReviewIndexPage /> },
    {
      path: 'applications',
      element: (
        <RequirePermission anyOf={['creators.review']}>
          <ApplicationsQueuePage />
        </RequirePermission>
      ),
    },
    {
      path: 'decided',
      element: (
        <RequirePermission anyOf={['creators.review']}>
          <DecidedApplicationsPage />
        </RequirePermission>
      ),
    },
    {
      path: 'applications/:id',
      element: (
        <RequirePermission anyOf={['creators.review']}>
          <ApplicationReviewPage />
        </RequirePermission>
      ),
    },
  ],
};
