import { Outlet } from 'react-router';
import { SubNav } from '../../components/area-layout.tsx';

/** Admin → Notifications (SPEC §6): what was sent, sending one, and the templates. */
export function NotificationsLayout() {
  return (
    <section className="admin-section" aria-labelledby="notifications-title">
      <div className="section-header">
        <h2 id="notifications-title">Notifications</h2>
      </div>
      <SubNav
        label="Notifications sections"
        minor
        links={[
          { to: '/admin/notifications', label: 'Messages', end: true },
          { to: '/admin/notifications/send', label: 'Send' },
          { to: '/admin/notifications/templates', label: 'Templates' },
        ]}
      />
      <Outlet />
    </section>
  );
}
