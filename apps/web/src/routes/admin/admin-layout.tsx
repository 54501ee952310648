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
];

/** The Admin area (SPEC §11): one heading and the sections the user's permissions open. */
export function AdminLayout() {
  const session = useSession();
  const sections = ADMIN_SECTIONS.filter((section) => session.can(section.permission));
  return (
    <AreaLayout
      titleId="admin-title"
      title="Admin"
      lead={`${session.org ? `${session.org.name}: ` : ''}users, roles, the audit log and notifications.`}
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
      <div className="panel">
        <h2>Coming later</h2>
        <p className="muted">Incidents and logs (SPEC §7) join this area when that module is built.</p>
      </div>
    </div>
  );
}
