import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const workplaceRoutes: RouteObject = {
  path: 'workplace',
  element: (
    <PlaceholderPage
      title="Workplace"
      arrivesWith="the workplace and SoluM AIMS sync (SPEC §9)"
      plans={[
        'Spaces, and people with their assignments',
        'Rooms with a meeting toggle',
        'Live AIMS status',
        'Full sync with progress',
      ]}
    />
  ),
};
