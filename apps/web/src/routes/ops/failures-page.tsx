import { Link, Navigate, useLocation, useSearchParams } from 'react-router';
import { DeadLettersPanel } from './dead-letters-page.tsx';
import { InboxFailuresPanel } from './inbox-page.tsx';

const TABS = [
  { id: 'dead-letters', label: 'Dead letters' },
  { id: 'inbox', label: 'Inbox failures' },
] as const;
type FailuresTab = (typeof TABS)[number]['id'];

/**
 * One place to act on failures: dead letters (jobs that failed for good, waiting to be redriven or
 * discarded) and inbox failures (event deliveries whose handler failed), as tabs. Each tab keeps its
 * filters, page and selection in the address; switching tabs starts the other one fresh.
 */
export function FailuresPage() {
  const [params] = useSearchParams();
  const tab: FailuresTab = params.get('tab') === 'inbox' ? 'inbox' : 'dead-letters';
  return (
    <div className="ops-section">
      <header className="ops-section__header">
        <h2>Failures</h2>
      </header>
      <nav className="ops-tabs" aria-label="Kinds of failure">
        {TABS.map((t) => (
          <Link
            key={t.id}
            to={{ search: `?tab=${t.id}` }}
            aria-current={tab === t.id ? 'page' : undefined}
            className="ops-tabs__tab"
          >
            {t.label}
          </Link>
        ))}
      </nav>
      {tab === 'inbox' ? <InboxFailuresPanel /> : <DeadLettersPanel />}
    </div>
  );
}

/** The former addresses (`/ops/dead-letters`, `/ops/inbox`) open their tab, keeping their filters. */
export function FailuresRedirect({ tab }: { tab: FailuresTab }) {
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  params.set('tab', tab);
  return <Navigate replace to={`/ops/failures?${params.toString()}`} />;
}
