import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { ApplicationReviewPage } from './application-review-page.tsx';
import { ApplicationsQueuePage } from './applications-queue-page.tsx';
import { ContentReviewPage } from './content-review-page.tsx';
import { DecidedApplicationsPage } from './decided-applications-page.tsx';
import { ReviewIndexPage, ReviewLayout } from './review-layout.tsx';

/** Review (SPEC §11): creator applications (creators.review) and content (content.review). */
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
      path: 'content',
      element: (
        <RequirePermission anyOf={['content.review']}>
          <ContentReviewPage />
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
