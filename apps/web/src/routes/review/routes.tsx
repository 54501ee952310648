import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const reviewRoutes: RouteObject = {
  path: 'review',
  element: (
    <PlaceholderPage
      title="Review"
      arrivesWith="the creator programme and content review (SPEC §3, §4)"
      plans={[
        'Creator applications to approve or reject, with notes',
        'Submitted content to review before it is published',
      ]}
    />
  ),
};
