import { Link, NavLink, Outlet } from 'react-router';
import { useSession } from '../../auth/use-session.ts';

/** The Review area: one heading and the queues the user's permissions open. */
export function ReviewLayout() {
  const session = useSession();
  return (
    <section className="page page--wide" aria-labelledby="review-title">
      <header className="page__header">
        <div>
          <h1 id="review-title">Review</h1>
          <p className="muted">
            Decide on what members submit to {session.org?.name ?? 'your organisation'}.
          </p>
        </div>
      </header>
      {session.can('creators.review') && (
        <nav className="subnav" aria-label="Review sections">
          <ul>
            <li>
              <NavLink to="/review/applications" className="subnav__link">
                Creator applications
              </NavLink>
            </li>
          </ul>
        </nav>
      )}
      <Outlet />
    </section>
  );
}

export function ReviewIndexPage() {
  const session = useSession();
  return (
    <div className="card-grid">
      {session.can('creators.review') && (
        <div className="panel">
          <h2>
            <Link to="/review/applications">Creator applications</Link>
          </h2>
          <p className="muted">Members who asked to become creators, oldest first: approve or reject them.</p>
        </div>
      )}
      {session.can('content.review') && (
        <div className="panel">
          <h2>Content</h2>
          <p className="muted">
            Submitted content waiting for review joins this area with the content library.
          </p>
        </div>
      )}
    </div>
  );
}
