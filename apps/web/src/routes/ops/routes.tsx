import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const opsRoutes: RouteObject = {
  path: 'ops',
  element: (
    <PlaceholderPage
      title="Ops"
      arrivesWith="the operations console (SPEC §8)"
      plans={[
        'Queues with depth and failure charts',
        'Jobs, with retry, cancel and delete',
        'Dead letters and redrive',
        'Schedules and their runs',
        'Outbox lag and replay',
        'Health of every process',
      ]}
    />
  ),
};
