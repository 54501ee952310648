import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { ConfirmButton, ResultNotice } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Fact } from '../../components/fact.tsx';
import { RESYNC_EVENT, useRealtimeEvents } from '../../lib/realtime.ts';
import { api, trpc } from '../../lib/trpc.ts';
import { ApplicationAnswers, ApplicationStatusPill, type MyApplication } from './application-status.tsx';
import { ApplyForm } from './apply-form.tsx';

/** The worker's live hint to the applicant and reviewers once an application is decided. */
export const APPLICATION_DECIDED_EVENT = 'creator.application.decided';

/**
 * Creator → Application (SPEC §3): the caller's latest application and its status — pending (with
 * withdraw), approved, rejected (with the reason) or withdrawn — and the form to apply (again) when
 * there is no open application. A decision shows up live: the worker's `creator.application.decided`
 * refetches the status.
 */
export function ApplicationPage() {
  const queryClient = useQueryClient();
  const session = useSession();
  const [result, setResult] = useState<ReactNode>(null);
  const application = useQuery(api.creators.myApplication.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.creators.myApplication.queryKey() });

  useRealtimeEvents((event) => {
    if (event.type === APPLICATION_DECIDED_EVENT || event.type === RESYNC_EVENT) void refresh();
  });

  const isCreator = session.roles.includes('creator');
  const canWriteContent = session.can('content.write');

  if (application.isError) {
    return (
      <ErrorMessage
        error={application.error}
        title="Could not load your application"
        onRetry={() => void application.refetch()}
      />
    );
  }
  if (application.isPending) return <p className="muted">Loading…</p>;

  const current = application.data;
  const mayApply =
    !isCreator && (current === null || current.status === 'rejected' || current.status === 'withdrawn');

  return (
    <div className="stack">
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      {current && (
        <ApplicationStatusPanel
          application={current}
          canWriteContent={canWriteContent}
          onWithdrawn={(withdrawn) => {
            queryClient.setQueryData(api.creators.myApplication.queryKey(), withdrawn);
            setResult('Your application was withdrawn. You can apply again whenever you like.');
          }}
        />
      )}
      {isCreator && current?.status !== 'approved' && (
        <div className="panel">
          <h2>You are a creator</h2>
          <p>
            Your roles already include <code>creator</code>, so there is nothing to apply for.{' '}
            {canWriteContent && <Link to="/creator/content">Go to My content</Link>}
          </p>
        </div>
      )}
      {mayApply && (
        <div className="panel">
          <h2 id="apply-title">{current ? 'Apply again' : 'Apply to the creator programme'}</h2>
          <p className="muted">
            Creators publish content in {session.org?.name ?? 'your organisation'}. Reviewers read your
            application and approve or reject it; you get a notification either way.
          </p>
          <ApplyForm
            onSubmitted={(submitted) => {
              queryClient.setQueryData(api.creators.myApplication.queryKey(), submitted);
              setResult(
                'Application submitted. The reviewers were notified; you will get a notification when it is decided.',
              );
            }}
          />
        </div>
      )}
    </div>
  );
}

function ApplicationStatusPanel({
  application,
  canWriteContent,
  onWithdrawn,
}: {
  application: MyApplication;
  canWriteContent: boolean;
  onWithdrawn: (application: MyApplication) => void;
}) {
  const title = application.status === 'pending' ? 'Your application' : 'Your latest application';
  return (
    <div className="panel" data-testid="my-application">
      <div className="section-header">
        <h2>{title}</h2>
        <ApplicationStatusPill status={application.status} />
      </div>
      <StatusExplanation application={application} canWriteContent={canWriteContent} />
      <dl className="facts">
        <Fact label="Submitted">{application.submittedAt.toLocaleString()}</Fact>
        {application.reviewedAt && <Fact label="Decided">{application.reviewedAt.toLocaleString()}</Fact>}
        {application.withdrawnAt && <Fact label="Withdrawn">{application.withdrawnAt.toLocaleString()}</Fact>}
      </dl>
      <details className="details">
        <summary>What you wrote</summary>
        <ApplicationAnswers application={application} />
      </details>
      {application.status === 'pending' && (
        <div className="form__actions">
          <ConfirmButton
            label="Withdraw application"
            title="Withdraw your application?"
            confirmLabel="Withdraw application"
            cancelLabel="Keep application"
            destructive
            run={() => trpc.creators.withdraw.mutate({ id: application.id })}
            onSuccess={onWithdrawn}
          >
            <p>The reviewers will no longer see it. You can apply again later with a new application.</p>
          </ConfirmButton>
        </div>
      )}
    </div>
  );
}

function StatusExplanation({
  application,
  canWriteContent,
}: {
  application: MyApplication;
  canWriteContent: boolean;
}) {
  switch (application.status) {
    case 'pending':
      return <p>The reviewers have your application. This page updates by itself when they decide.</p>;
    case 'approved':
      return (
        <p data-testid="application-approved">
          Welcome aboard: you are a creator now.{' '}
          {canWriteContent ? (
            <Link to="/creator/content">Open My content</Link>
          ) : (
            <span className="muted">Your creator access is being set up; this page updates by itself.</span>
          )}
        </p>
      );
    case 'rejected':
      return (
        <div className="notice" data-testid="rejection-reason">
          <p>
            <strong>Not approved this time.</strong> The reviewers' reason:
          </p>
          <p className="prose-text">{application.rejectionReason ?? 'No reason was given.'}</p>
        </div>
      );
    case 'withdrawn':
      return <p>You withdrew this application before it was decided.</p>;
  }
}
