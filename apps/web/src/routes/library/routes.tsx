import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const libraryRoutes: RouteObject = {
  path: 'library',
  element: (
    <PlaceholderPage
      title="Library"
      arrivesWith="content, media and discovery (SPEC §4)"
      plans={['Discovery search with facets', 'Content pages with the player or provider embed']}
    />
  ),
};
