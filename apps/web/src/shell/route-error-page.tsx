import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { ErrorMessage } from '../components/error-message.tsx';
import { NotFoundPage } from './not-found-page.tsx';

/** Rendered by the router when a page throws while rendering or loading: never a blank screen. */
export function RouteErrorPage() {
  const error = useRouteError();
  // A path no route knows is not a failure to retry: it is the not-found page.
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  const routeError = isRouteErrorResponse(error) ? new Error(`${error.status} ${error.statusText}`) : error;
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <h1 id="page-title">This page failed</h1>
      </header>
      <ErrorMessage
        error={routeError}
        title="The page could not be shown"
        onRetry={() => window.location.reload()}
      />
      <p>
        <Link to="/">Go to Home</Link>
      </p>
    </section>
  );
}
