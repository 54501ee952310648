import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api, type RouterOutputs } from '../../lib/trpc.ts';

type HomeSummary = RouterOutputs['home']['summary'];
type SetupStep = NonNullable<HomeSummary['setup']>['steps'][number];
type Application = NonNullable<HomeSummary['application']>;

/**
 * Home follows new members, invitations and reviews a little; the numbers need not be live. Coming
 * back to Home asks again (staleTime 0): a step just done elsewhere shows done.
 */
const HOME_REFRESH_MS = 60_000;
const homeQuery = { refetchInterval: HOME_REFRESH_MS, staleTime: 0 } as const;

/**
 * Home (`/`): what the signed-in person should look at first, by what they do here — set-up steps
 * for a new organisation's admins, reviews waiting for reviewers, their own application or content
 * for creators, the platform's state for operators, and the Library for everyone (docs/home.md).
 */
export function HomePage() {
  const session = useSession();
  const summary = useQuery({ ...api.home.summary.queryOptions(), ...homeQuery });
  const isOperator = session.user?.platformRole === 'operator';
  const firstName = session.user?.name.split(/\s+/)[0] ?? '';
  const data = summary.data;
  // Someone whose work here is reading gets the Library first.
  const readsMostly = data !== undefined && !data.setup && !data.review && !data.myContent && !isOperator;

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">Home</h1>
          <p className="muted">
            {firstName ? `Welcome, ${firstName}.` : 'Welcome.'}{' '}
            {session.org ? `Here is what is going on in ${session.org.name}.` : 'Here is what is going on.'}
          </p>
        </div>
      </header>
      {summary.isPending && <p className="muted">Loading…</p>}
      {summary.isError && (
        <ErrorMessage
          error={summary.error}
          title="Could not load your overview"
          onRetry={() => void summary.refetch()}
        />
      )}
      <div className="home-grid">
        {isOperator && <PlatformPanel />}
        {readsMostly && <LibraryPanel lead />}
        {data?.setup && <SetupPanel setup={data.setup} />}
        {data?.review && <ReviewPanel review={data.review} />}
        {data && <CreatorPanel application={data.application} myContent={data.myContent} />}
        {data && !readsMostly && <LibraryPanel />}
      </div>
    </section>
  );
}

function HomePanel({
  title,
  testId,
  children,
  wide = false,
}: {
  title: string;
  testId: string;
  children: ReactNode;
  wide?: boolean;
}) {
  const id = `${testId}-title`;
  return (
    <section className={`panel${wide ? ' panel--wide' : ''}`} aria-labelledby={id} data-testid={testId}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

const STEP_TEXT: Record<
  SetupStep['id'],
  { todo: string; done: (count: number) => string; to: string; action: string }
> = {
  'invite-members': {
    todo: 'Invite the people you work with. Each gets an email with a link to join.',
    done: (n) => `${n} ${n === 1 ? 'person has' : 'people have'} joined or been invited.`,
    to: '/admin/users/invitations',
    action: 'Invite people',
  },
  'workplace-connection': {
    todo: 'Connect your SoluM AIMS account so spaces, people and rooms reach your displays.',
    done: () => 'Your SoluM AIMS account is connected.',
    to: '/workplace/connection',
    action: 'Set up the connection',
  },
  'notification-template': {
    todo: 'Write a notification template, so messages to your members read the way you speak.',
    done: (n) => `You have ${n} ${n === 1 ? 'template' : 'templates'} of your own.`,
    to: '/admin/notifications/templates',
    action: 'Write a template',
  },
  'alert-rule': {
    todo: 'Add an alert rule: hear about errors in your logs before your members do.',
    done: (n) => `${n} ${n === 1 ? 'alert rule watches' : 'alert rules watch'} your logs.`,
    to: '/admin/alert-rules',
    action: 'Add an alert rule',
  },
  'api-key': {
    todo: 'Create an API key so your own services can send their logs here.',
    done: (n) => `${n} API ${n === 1 ? 'key is' : 'keys are'} in use.`,
    to: '/admin/api-keys',
    action: 'Create an API key',
  },
};

const STEP_TITLE: Record<SetupStep['id'], string> = {
  'invite-members': 'Invite members',
  'workplace-connection': 'Connect your workplace',
  'notification-template': 'Write a notification template',
  'alert-rule': 'Add an alert rule',
  'api-key': 'Create an API key',
};

function SetupPanel({ setup }: { setup: NonNullable<HomeSummary['setup']> }) {
  const done = setup.steps.filter((step) => step.done).length;
  const all = setup.steps.length;
  return (
    <HomePanel title="Set up your organisation" testId="home-setup" wide>
      <p className="muted" data-testid="home-setup-progress">
        {done === all ? `All ${all} steps done. Nice work.` : `${done} of ${all} steps done.`}
      </p>
      <ol className="checklist">
        {setup.steps.map((step) => {
          const text = STEP_TEXT[step.id];
          return (
            <li
              key={step.id}
              className={`checklist__item${step.done ? ' checklist__item--done' : ''}`}
              data-testid={`setup-step-${step.id}`}
              data-done={step.done}
            >
              <span className="checklist__mark" aria-hidden="true">
                {step.done ? '✓' : ''}
              </span>
              <div className="checklist__body">
                <p className="checklist__title">
                  {STEP_TITLE[step.id]}{' '}
                  <span className="visually-hidden">{step.done ? '(done)' : '(not done yet)'}</span>
                </p>
                <p className="muted">{step.done ? text.done(step.count) : text.todo}</p>
                {step.id === 'invite-members' && setup.signupOpen !== null && (
                  <p className="muted" data-testid="home-signup">
                    {setup.signupOpen
                      ? 'Sign-up is open: anyone may create an account in your organisation.'
                      : 'Sign-up is closed: people join by invitation only.'}
                  </p>
                )}
              </div>
              <Link to={text.to} className={step.done ? 'button button--quiet' : 'button'}>
                {step.done ? 'Open' : text.action}
              </Link>
            </li>
          );
        })}
      </ol>
    </HomePanel>
  );
}

function ReviewPanel({ review }: { review: NonNullable<HomeSummary['review']> }) {
  const waiting = (review.pendingApplications ?? 0) + (review.draftsWaiting ?? 0);
  return (
    <HomePanel title="Waiting for your review" testId="home-review">
      <p className="muted">{waiting === 0 ? 'Nothing is waiting. All caught up.' : 'These wait for you.'}</p>
      <ul className="home-links">
        {review.pendingApplications !== null && (
          <li data-testid="home-review-applications" data-count={review.pendingApplications}>
            <Link to="/review/applications">
              {countOf(review.pendingApplications, 'creator application', 'creator applications')}
            </Link>{' '}
            to decide
          </li>
        )}
        {review.draftsWaiting !== null && (
          <li data-testid="home-review-drafts" data-count={review.draftsWaiting}>
            <Link to="/review/content">{countOf(review.draftsWaiting, 'draft', 'drafts')}</Link> waiting to be
            published
          </li>
        )}
      </ul>
    </HomePanel>
  );
}

const APPLICATION_TEXT: Record<Application['status'], string> = {
  pending: 'Your application to become a creator is waiting for a reviewer.',
  approved: 'Your application was approved: you can publish here.',
  rejected: 'Your application was not accepted this time. You can read why, and apply again.',
  withdrawn: 'You withdrew your application. You can apply again whenever you like.',
};

function CreatorPanel({
  application,
  myContent,
}: {
  application: HomeSummary['application'];
  myContent: HomeSummary['myContent'];
}) {
  if (myContent) {
    const total = myContent.draft + myContent.published + myContent.archived;
    return (
      <HomePanel title="Your content" testId="home-creator">
        {total === 0 ? (
          <p>You have not added anything yet. Add a video or a track by its link.</p>
        ) : (
          <dl className="facts" data-testid="home-my-content">
            <ContentCount label="Drafts" value={myContent.draft} />
            <ContentCount label="Published" value={myContent.published} />
            <ContentCount label="Archived" value={myContent.archived} />
          </dl>
        )}
        <p>
          <Link to="/creator/content">{total === 0 ? 'Add your first piece' : 'Manage your content'}</Link>
        </p>
      </HomePanel>
    );
  }
  return (
    <HomePanel title="Publish here" testId="home-creator">
      <p data-testid="home-application" data-status={application?.status ?? 'none'}>
        {application
          ? APPLICATION_TEXT[application.status]
          : 'Have films, talks or tracks to share? Apply to become a creator.'}
      </p>
      <p>
        <Link to="/creator">{application ? 'See your application' : 'Apply to become a creator'}</Link>
      </p>
    </HomePanel>
  );
}

function ContentCount({ label, value }: { label: string; value: number }) {
  return (
    <div className="facts__row" data-testid={`home-content-${label.toLowerCase()}`}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function LibraryPanel({ lead = false }: { lead?: boolean }) {
  return (
    <HomePanel title="Library" testId="home-library" wide={lead}>
      <p>Watch and listen to what your organisation has published: search by title, topic or language.</p>
      <p>
        <Link to="/library" className={lead ? 'button' : undefined}>
          Open the Library
        </Link>
      </p>
    </HomePanel>
  );
}

/** Platform operators: is work flowing across the platform, and what failed lately. */
function PlatformPanel() {
  const health = useQuery({ ...api.ops.health.queryOptions(), ...homeQuery });
  const kpis = useQuery({ ...api.ops.kpis.queryOptions(), ...homeQuery });
  const status = health.isError ? 'unknown' : (health.data?.status ?? 'checking');
  return (
    <HomePanel title="Platform" testId="home-platform" wide>
      {health.isError && <ErrorMessage error={health.error} title="Could not check the platform" />}
      {health.data && (
        <div data-testid="home-platform-status" data-status={status}>
          {health.data.status === 'ok' ? (
            <p className="ops-status ops-status--ok">
              <span className="badge__dot" aria-hidden="true" /> Everything is running: every check passes.
            </p>
          ) : (
            <div className="ops-status ops-status--alarm" role="alert">
              <p className="ops-status__title">Needs attention</p>
              <ul>
                {health.data.problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
      {health.isPending && <p className="muted">Checking the platform…</p>}
      {kpis.data && (
        <p data-testid="home-platform-failures">
          {countOf(kpis.data.failedLastHour, 'job', 'jobs')} failed in the last hour;{' '}
          {countOf(kpis.data.deadLetters, 'dead letter', 'dead letters')} waiting.
        </p>
      )}
      <p>
        <Link to="/ops">Open the Ops console</Link> · <Link to="/status">System status</Link>
      </p>
    </HomePanel>
  );
}

function countOf(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
