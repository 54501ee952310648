import { Link, useLocation } from 'react-router';

/** An address no page answers: says so, with a way on (no "Try again": the answer would not change). */
export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <h1 id="page-title">Page not found</h1>
      </header>
      <div className="panel">
        <p>
          There is no page at <code>{pathname}</code>. Check the address, or start again from System status.
        </p>
        <p>
          <Link to="/">Go to Home</Link>
        </p>
      </div>
    </section>
  );
}
