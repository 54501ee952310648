import { Link } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { AreaLayout } from '../../components/area-layout.tsx';

/** The Review area: one heading and the queues the user's permissions open. */
export function ReviewLayout() {
  const session = useSession();
  return (
    <AreaLayout
      titleId="review-title"
      title="Review"
      lead={`Decide on what members submit to ${session.org?.name ?? 'your organisation'}.`}
      sections={[
        ...(session.can('creators.review')
          ? [
              { to: '/review/applications', label: 'Creator applications' },
              { to: '/review/decided', label: 'Decided' },
            ]
          : []),
        ...(session.can('content.review') ? [{ to: '/review/content', label: 'Content' }] : []),
      ]}
    />
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
          <p className="muted">
            Members who asked to become creators, oldest first: approve or reject them. The{' '}
            <Link to="/review/decided">decided ones</Link> stay on record.
          </p>
        </div>
      )}
      {session.can('content.review') && (
        <div className="panel">
          <h2>
            <Link to="/review/content">Content</Link>
          </h2>
          <p className="muted">
            Drafts creators have made: publish them to the library, or unpublish what is there.
          </p>
        </div>
      )}
    </div>
  );
}
