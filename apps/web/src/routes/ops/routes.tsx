import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { FailuresPage, FailuresRedirect } from './failures-page.tsx';
import { JobPage } from './job-page.tsx';
import { JobSearchPage } from './job-search-page.tsx';
import { OpsLayout } from './ops-layout.tsx';
import { OrganisationsPage } from './organisations-page.tsx';
import { OutboxPage } from './outbox-page.tsx';
import { OverviewPage } from './overview-page.tsx';
import { QueuePage } from './queue-page.tsx';
import { QueuesPage } from './queues-page.tsx';
import { ScheduleFormPage } from './schedule-form.tsx';
import { SchedulePage } from './schedule-page.tsx';
import { SchedulesPage } from './schedules-page.tsx';
import { SearchIndexPage } from './search-index-page.tsx';

/** The Ops console (SPEC §8): `/ops` and its sections. */
export const opsRoutes: RouteObject = {
  path: 'ops',
  element: (
    <RequirePermission anyOf={['ops.read', 'scheduler.manage']}>
      <OpsLayout />
    </RequirePermission>
  ),
  children: [
    { index: true, element: <OverviewPage /> },
    { path: 'queues', element: <QueuesPage /> },
    { path: 'queues/:queue', element: <QueuePage /> },
    { path: 'queues/:queue/jobs/:id', element: <JobPage /> },
    { path: 'jobs', element: <JobSearchPage /> },
    { path: 'failures', element: <FailuresPage /> },
    { path: 'dead-letters', element: <FailuresRedirect tab="dead-letters" /> },
    { path: 'outbox', element: <OutboxPage /> },
    { path: 'inbox', element: <FailuresRedirect tab="inbox" /> },
    { path: 'schedules', element: <SchedulesPage /> },
    { path: 'schedules/new', element: <ScheduleFormPage mode="create" /> },
    { path: 'schedules/:id', element: <SchedulePage /> },
    { path: 'schedules/:id/edit', element: <ScheduleFormPage mode="edit" /> },
    { path: 'organisations', element: <OrganisationsPage /> },
    { path: 'search-index', element: <SearchIndexPage /> },
  ],
};
