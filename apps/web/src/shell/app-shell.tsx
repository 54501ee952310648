import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { ProfileMenu } from '../auth/profile-menu.tsx';
import { useQueryCacheFollowsSession, useSession } from '../auth/use-session.ts';
import { NotificationBell } from '../components/notification-bell.tsx';
import { api } from '../lib/trpc.ts';
import { useMailboxAvailable } from '../routes/mailbox/mailbox-queries.ts';
import { NAVIGATION, visibleNavigation } from './navigation.ts';
import { usePageTitle } from './page-title.ts';

/** Top bar, left navigation and the page outlet. Below 860 px the navigation folds behind "Menu". */
export function AppShell() {
  const [navOpen, setNavOpen] = useState(false);
  const closeNav = () => setNavOpen(false);
  const session = useSession();
  useQueryCacheFollowsSession();
  const mailboxAvailable = useMailboxAvailable();
  // The same query the bell reads (one request, shared cache): the tab shows the unread count too.
  const member = session.status === 'signedIn' && Boolean(session.user) && !session.user?.mustChangePassword;
  const unread = useQuery({ ...api.inbox.unreadCount.queryOptions(), enabled: member });
  usePageTitle(member ? (unread.data?.count ?? 0) : 0);
  const navigation = visibleNavigation(NAVIGATION, {
    signedIn: session.status === 'signedIn',
    can: session.can,
    mailboxAvailable,
  });

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="topbar__menu"
          aria-expanded={navOpen}
          aria-controls="primary-nav"
          onClick={() => setNavOpen((open) => !open)}
        >
          <span aria-hidden="true" className="topbar__menu-icon" />
          Menu
        </button>
        <Link to="/" className="brand" onClick={closeNav}>
          <span className="brand__mark" aria-hidden="true">
            A
          </span>
          Atrium
        </Link>
        <div className="topbar__end">
          <NotificationBell />
          <ProfileMenu />
        </div>
      </header>
      <nav id="primary-nav" className="sidebar" data-open={navOpen} aria-label="Main">
        {navigation.map((section) => (
          <div className="nav-section" key={section.id}>
            <h2 className="nav-section__title" id={`nav-${section.id}`}>
              {section.label}
            </h2>
            <ul className="nav-section__list" aria-labelledby={`nav-${section.id}`}>
              {section.items.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} className="nav-link" onClick={closeNav}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
