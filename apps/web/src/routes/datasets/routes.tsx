import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const datasetsRoutes: RouteObject = {
  path: 'datasets',
  element: (
    <PlaceholderPage
      title="Datasets"
      arrivesWith="datasets, assets and files (SPEC §5)"
      plans={[
        'Every dataset, paginated',
        'A viewer per item type: image pair compare, ranked gallery, video with timeline, audio with captions',
        'An ingest wizard with upload progress',
      ]}
    />
  ),
};
