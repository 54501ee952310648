import { Link, useLocation } from 'react-router';

export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <h1 id="page-title">Page not found</h1>
      </header>
      <div className="panel">
        <p>
          Nothing lives at <code>{pathname}</code>.
        </p>
        <p>
          <Link to="/">Go to Home</Link>
        </p>
      </div>
    </section>
  );
}
