import { NavLink, Outlet } from 'react-router';

/** Admin → Notifications (SPEC §6): what was sent, sending one, and the templates. */
export function NotificationsLayout() {
  return (
    <section className="admin-section" aria-labelledby="notifications-title">
      <div className="section-header">
        <h2 id="notifications-title">Notifications</h2>
      </div>
      <nav className="subnav subnav--minor" aria-label="Notifications sections">
        <ul>
          <li>
            <NavLink to="/admin/notifications" end className="subnav__link">
              Messages
            </NavLink>
          </li>
          <li>
            <NavLink to="/admin/notifications/send" className="subnav__link">
              Send
            </NavLink>
          </li>
          <li>
            <NavLink to="/admin/notifications/templates" className="subnav__link">
              Templates
            </NavLink>
          </li>
        </ul>
      </nav>
      <Outlet />
    </section>
  );
}
