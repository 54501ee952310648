import { NavLink, Outlet } from 'react-router';
import { useSession } from '../../auth/use-session.ts';

/**
 * The Creator area (SPEC §11): the application to the creator programme for everyone, and
 * "My content" for holders of `content.write` (what the `creator` role grants).
 */
export function CreatorLayout() {
  const session = useSession();
  return (
    <section className="page page--wide" aria-labelledby="creator-title">
      <header className="page__header">
        <div>
          <h1 id="creator-title">Creator</h1>
          <p className="muted">
            Apply to the creator programme, follow your application, manage your content.
          </p>
        </div>
      </header>
      <nav className="subnav" aria-label="Creator sections">
        <ul>
          <li>
            <NavLink to="/creator" end className="subnav__link">
              Application
            </NavLink>
          </li>
          {session.can('content.write') && (
            <li>
              <NavLink to="/creator/content" className="subnav__link">
                My content
              </NavLink>
            </li>
          )}
        </ul>
      </nav>
      <Outlet />
    </section>
  );
}
