import { Link } from 'react-router';

interface PlaceholderPageProps {
  title: string;
  /** The piece of work that builds this area, e.g. "the creator programme (SPEC §3)". */
  arrivesWith: string;
  /** What the area will offer, in the user's words. */
  plans: string[];
}

/** An honest stand-in for an area that is not built yet: no fake data, just what is coming. */
export function PlaceholderPage({ title, arrivesWith, plans }: PlaceholderPageProps) {
  return (
    <section className="page" aria-labelledby="page-title" data-testid="placeholder-page">
      <header className="page__header page__header--inline">
        <h1 id="page-title">{title}</h1>
        <span className="tag">Not built yet</span>
      </header>
      <div className="panel placeholder">
        <p className="placeholder__lead">
          This area arrives with <strong>{arrivesWith}</strong>.
        </p>
        <p>It will offer:</p>
        <ul className="placeholder__plans">
          {plans.map((plan) => (
            <li key={plan}>{plan}</li>
          ))}
        </ul>
        <p className="muted">
          Until then, <Link to="/status">System status</Link> shows what is running.
        </p>
      </div>
    </section>
  );
}
