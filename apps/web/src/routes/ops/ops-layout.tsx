import { NavLink, Outlet } from 'react-router';
import { useOpsAccess } from './ops-queries.ts';

const SECTIONS = [
  { to: '/ops', label: 'Overview', end: true },
  { to: '/ops/queues', label: 'Queues', end: false },
  { to: '/ops/dead-letters', label: 'Dead letters', end: false },
  { to: '/ops/outbox', label: 'Outbox', end: false },
  { to: '/ops/inbox', label: 'Inbox failures', end: false },
  { to: '/ops/schedules', label: 'Schedules', end: false },
] as const;

/** The Ops console (SPEC §8): one heading, a secondary navigation, the section below. */
export function OpsLayout() {
  const { canSchedule } = useOpsAccess();
  // Schedules are platform-wide (`scheduler.manage`, operators): others would only read a 403.
  const sections = SECTIONS.filter((section) => section.to !== '/ops/schedules' || canSchedule);
  return (
    <section className="page page--wide" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">Ops</h1>
          <p className="muted">Queues, jobs, dead letters, the outbox, inbox failures and schedules.</p>
        </div>
      </header>
      <nav className="subnav" aria-label="Ops sections">
        <ul>
          {sections.map((section) => (
            <li key={section.to}>
              <NavLink to={section.to} end={section.end} className="subnav__link">
                {section.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </section>
  );
}
