import { Link } from 'react-router';
import type { Permission } from '../../auth/session-store.ts';
import { useSession } from '../../auth/use-session.ts';
import { AreaLayout } from '../../components/area-layout.tsx';

export const ADMIN_SECTIONS: ReadonlyArray<{
  to: string;
  label: string;
  permission: Permission;
  description: string;
}> = [
  {
    to: '/admin/users',
    label: 'Users',
    permission: 'users.manage',
    description: 'Invite people, disable and enable accounts, choose their roles.',
  },
  {
    to: '/admin/organisation',
    label: 'Organisation',
    permission: 'org.manage',
    description: 'Whether people may join by signing up, and the role they start with.',
  },
  {
    to: '/admin/roles',
    label: 'Roles',
    permission: 'roles.manage',
    description: 'The built-in roles, and custom roles with the permissions you pick.',
  },
  {
    to: '/admin/audit',
    label: 'Audit',
    permission: 'audit.read',
    description: "Who did what, when: the organisation's tamper-evident audit log and its integrity check.",
  },
  {
    to: '/admin/notifications',
    label: 'Notifications',
    permission: 'notifications.send',
    description: 'What was sent and its delivery attempts, sending a notification, and the templates.',
  },
  {
    to: '/admin/incidents',
    label: 'Incidents',
    permission: 'incidents.manage',
    description: 'What the alert rules opened: acknowledge and resolve them, with the events behind each.',
  },
  {
    to: '/admin/alert-rules',
    label: 'Alert rules',
    permission: 'incidents.manage',
    description: 'When log events should open an incident and tell the admins.',
  },
  {
    to: '/admin/logs',
    label: 'Logs',
    permission: 'logs.read',
    description: 'Search the log events your services send and what Atrium reports about itself.',
  },
  {
    to: '/admin/api-keys',
    label: 'API keys',
    permission: 'users.manage',
    description: 'Keys for services that send logs: shown once, revocable at any time.',
  },
];

/** The Admin area (SPEC §11): one heading and the sections the user's permissions open. */
export function AdminLayout() {
  const session = useSession();
  const sections = ADMIN_SECTIONS.filter((section) => session.can(section.permission));
  return (
    <AreaLayout
      titleId="admin-title"
      title="Admin"
      lead={`${session.org ? `${session.org.name}: ` : ''}users, sign-up, roles, the audit log, notifications, logs and incidents.`}
      sections={sections}
    />
  );
}

export function AdminIndexPage() {
  const session = useSession();
  const sections = ADMIN_SECTIONS.filter((section) => session.can(section.permission));
  return (
    <div className="card-grid">
      {sections.map((section) => (
        <div className="panel" key={section.to}>
          <h2>
            <Link to={section.to}>{section.label}</Link>
          </h2>
          <p className="muted">{section.description}</p>
        </div>
      ))}
    </div>
  );
}
