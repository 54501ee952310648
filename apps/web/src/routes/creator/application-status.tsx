import type { RouterOutputs } from '../../lib/trpc.ts';

export type MyApplication = NonNullable<RouterOutputs['creators']['myApplication']>;
export type ApplicationStatus = MyApplication['status'];

const STATUS: Record<ApplicationStatus, { label: string; tone: string }> = {
  pending: { label: 'Pending review', tone: 'warn' },
  approved: { label: 'Approved', tone: 'ok' },
  rejected: { label: 'Rejected', tone: 'down' },
  withdrawn: { label: 'Withdrawn', tone: 'neutral' },
};

/** A creator application's status as a coloured pill (applicant and reviewer pages). */
export function ApplicationStatusPill({ status }: { status: ApplicationStatus }) {
  const { label, tone } = STATUS[status];
  return (
    <span className={`pill pill--${tone}`} data-testid="application-status" data-status={status}>
      <span className="pill__dot" aria-hidden="true" />
      {label}
    </span>
  );
}

/** What the applicant wrote, as a definition list (the applicant's status page and the review page). */
export function ApplicationAnswers({ application }: { application: MyApplication }) {
  return (
    <dl className="facts">
      <div className="facts__row">
        <dt>Experience</dt>
        <dd className="prose-text">{application.experience}</dd>
      </div>
      <div className="facts__row">
        <dt>Motivation</dt>
        <dd className="prose-text">{application.motivation}</dd>
      </div>
      <div className="facts__row">
        <dt>Portfolio</dt>
        <dd>
          {application.portfolioUrl ? (
            <a href={application.portfolioUrl} target="_blank" rel="noreferrer noopener">
              {application.portfolioUrl}
            </a>
          ) : (
            <span className="muted">none given</span>
          )}
        </dd>
      </div>
      <div className="facts__row">
        <dt>Social links</dt>
        <dd>
          {application.socialLinks.length === 0 ? (
            <span className="muted">none given</span>
          ) : (
            <ul className="plain-list">
              {application.socialLinks.map((link) => (
                <li key={`${link.platform}|${link.url}`}>
                  {link.platform}:{' '}
                  <a href={link.url} target="_blank" rel="noreferrer noopener">
                    {link.url}
                  </a>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </div>
      <div className="facts__row">
        <dt>Additional information</dt>
        <dd className="prose-text">
          {application.additionalInfo ?? <span className="muted">none given</span>}
        </dd>
      </div>
    </dl>
  );
}
