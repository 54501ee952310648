import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { ConnectionPage } from './connection-page.tsx';
import { PeoplePage } from './people-page.tsx';
import { RoomsPage } from './rooms-page.tsx';
import { SpacesPage } from './spaces-page.tsx';
import { SyncPage } from './sync-page.tsx';
import { WorkplaceIndexPage, WorkplaceLayout } from './workplace-layout.tsx';

const writer = (element: React.ReactNode) => (
  <RequirePermission anyOf={['workplace.write']}>{element}</RequirePermission>
);
const syncer = (element: React.ReactNode) => (
  <RequirePermission anyOf={['workplace.sync']}>{element}</RequirePermission>
);

export const workplaceRoutes: RouteObject = {
  path: 'workplace',
  element: (
    <RequirePermission anyOf={['workplace.write', 'workplace.sync']}>
      <WorkplaceLayout />
    </RequirePermission>
  ),
  children: [
    { index: true, element: <WorkplaceIndexPage /> },
    { path: 'spaces', element: writer(<SpacesPage />) },
    { path: 'people', element: writer(<PeoplePage />) },
    { path: 'rooms', element: writer(<RoomsPage />) },
    { path: 'sync', element: syncer(<SyncPage />) },
    { path: 'connection', element: syncer(<ConnectionPage />) },
  ],
};
