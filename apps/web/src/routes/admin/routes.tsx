import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const adminRoutes: RouteObject = {
  path: 'admin',
  element: (
    <PlaceholderPage
      title="Admin"
      arrivesWith="identity and access, audit and logging, notifications (SPEC §1, §6, §7)"
      plans={[
        'Users and roles',
        'Audit log with integrity verification',
        'Incidents and logs',
        'Notifications and their templates',
      ]}
    />
  ),
};
