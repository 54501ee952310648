import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { Dialog, DialogActions, ResultNotice } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Fact } from '../../components/fact.tsx';
import { Form } from '../../components/form.tsx';
import { TextAreaField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { plural } from '../../lib/plural.ts';
import { RESYNC_EVENT, useRealtimeEvents } from '../../lib/realtime.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { APPLICATION_DECIDED_EVENT } from '../creator/application-page.tsx';
import { ApplicationAnswers, ApplicationStatusPill } from '../creator/application-status.tsx';
import { returnToOf } from './application-table.tsx';

type ReviewedApplication = RouterOutputs['creators']['get'];
/** What a decision answers: the application without the reviewer count. */
type DecidedApplication = RouterOutputs['creators']['approve'];
type Decision = 'approve' | 'reject';

/**
 * One creator application for a reviewer: who applied, what they wrote, and — while it is pending —
 * approve (optional notes for the record) or reject (a reason, which the applicant reads). Each
 * decision asks first and then says what happened.
 */
export function ApplicationReviewPage() {
  const { id = '' } = useParams();
  const back = returnToOf(useLocation().state);
  const queryClient = useQueryClient();
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const [result, setResult] = useState<ReactNode>(null);
  const application = useQuery({ ...api.creators.get.queryOptions({ id }), retry: false });

  useRealtimeEvents((event) => {
    if (event.type === RESYNC_EVENT) void application.refetch();
    if (event.type !== APPLICATION_DECIDED_EVENT) return;
    const payload = event.payload;
    if (
      payload &&
      typeof payload === 'object' &&
      'applicationId' in payload &&
      payload.applicationId === id
    ) {
      void application.refetch();
    }
  });

  const decided = (updated: DecidedApplication, decision: Decision) => {
    setDeciding(null);
    queryClient.setQueryData(api.creators.get.queryKey({ id }), (previous) =>
      previous ? { ...previous, ...updated } : undefined,
    );
    void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
    setResult(
      decision === 'approve' ? (
        <>
          Approved the application of <strong>{updated.applicant.name}</strong>. They get the creator role and
          an email and in-app notice.
        </>
      ) : (
        <>
          Rejected the application of <strong>{updated.applicant.name}</strong>. They get your reason by email
          and in-app, and may apply again.
        </>
      ),
    );
  };

  return (
    <section aria-labelledby="application-title">
      <p>
        <Link to={back.path}>← Back to {back.label}</Link>
      </p>
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      {application.isError ? (
        <ErrorMessage
          error={application.error}
          title="Could not load the application"
          onRetry={() => void application.refetch()}
        />
      ) : application.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <ApplicationDetail
          application={application.data}
          onDecide={(decision) => setDeciding(decision)}
          onDecided={decided}
          deciding={deciding}
          onCancel={() => setDeciding(null)}
        />
      )}
    </section>
  );
}

function ApplicationDetail({
  application,
  deciding,
  onDecide,
  onDecided,
  onCancel,
}: {
  application: ReviewedApplication;
  deciding: Decision | null;
  onDecide: (decision: Decision) => void;
  onDecided: (updated: DecidedApplication, decision: Decision) => void;
  onCancel: () => void;
}) {
  const name = application.applicant.name;
  const own = application.applicant.id === useSession().user?.id;
  return (
    <div className="stack">
      <div className="panel" data-testid="review-application">
        <div className="section-header">
          <h2 id="application-title">Application of {name}</h2>
          <ApplicationStatusPill status={application.status} />
        </div>
        <dl className="facts">
          <Fact label="Applicant">
            {name} ({application.applicant.email})
          </Fact>
          <Fact label="Submitted">{application.submittedAt.toLocaleString()}</Fact>
          {application.reviewedAt && <Fact label="Decided">{application.reviewedAt.toLocaleString()}</Fact>}
          {application.reviewNotes && (
            <Fact label="Review notes" prose>
              {application.reviewNotes}
            </Fact>
          )}
          {application.rejectionReason && (
            <Fact label="Rejection reason" prose>
              {application.rejectionReason}
            </Fact>
          )}
          {application.withdrawnAt && (
            <Fact label="Withdrawn">{application.withdrawnAt.toLocaleString()}</Fact>
          )}
        </dl>
      </div>
      <div className="panel">
        <h2>What {name} wrote</h2>
        <ApplicationAnswers application={application} />
      </div>
      {application.status === 'pending' && own ? (
        <div className="panel" data-testid="own-application">
          <h2>Decision</h2>
          <p className="notice">
            This is your own application: another reviewer must decide it.{' '}
            {application.otherReviewers === 0
              ? 'Nobody else in your organisation may review applications yet — give someone the editor role (or another role that may review creator applications) first.'
              : `${plural(application.otherReviewers, 'other person', 'other people')} in your organisation may review it.`}
          </p>
        </div>
      ) : application.status === 'pending' ? (
        <div className="panel">
          <h2>Decision</h2>
          <p className="muted">
            Approving adds the <code>creator</code> role (no other role changes) and tells {name} by email and
            in-app. Rejecting sends them your reason.
          </p>
          <div className="form__actions">
            <button type="button" className="button" onClick={() => onDecide('approve')}>
              Approve…
            </button>
            <button type="button" className="button button--danger" onClick={() => onDecide('reject')}>
              Reject…
            </button>
          </div>
        </div>
      ) : (
        <p className="muted">This application is {application.status}; there is nothing left to decide.</p>
      )}
      <Dialog open={deciding === 'approve'} title={`Approve the application of ${name}?`} onClose={onCancel}>
        {deciding === 'approve' && (
          <DecisionForm
            decision="approve"
            application={application}
            onCancel={onCancel}
            onDone={(updated) => onDecided(updated, 'approve')}
          />
        )}
      </Dialog>
      <Dialog open={deciding === 'reject'} title={`Reject the application of ${name}?`} onClose={onCancel}>
        {deciding === 'reject' && (
          <DecisionForm
            decision="reject"
            application={application}
            onCancel={onCancel}
            onDone={(updated) => onDecided(updated, 'reject')}
          />
        )}
      </Dialog>
    </div>
  );
}

/** The confirmation of a decision, with its text: optional notes (approve) or a required reason (reject). */
function DecisionForm({
  decision,
  application,
  onCancel,
  onDone,
}: {
  decision: Decision;
  application: ReviewedApplication;
  onCancel: () => void;
  onDone: (updated: DecidedApplication) => void;
}) {
  const [text, setText] = useState('');
  const mutation = useMutation({
    mutationFn: () =>
      decision === 'approve'
        ? trpc.creators.approve.mutate(
            text.trim() ? { id: application.id, notes: text } : { id: application.id },
          )
        : trpc.creators.reject.mutate({ id: application.id, reason: text }),
    onSuccess: onDone,
  });
  const field = decision === 'approve' ? 'notes' : 'reason';
  const errors = fieldErrorsOf(mutation.error);
  return (
    <Form
      error={mutation.error}
      className="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        mutation.mutate();
      }}
    >
      {decision === 'approve' ? (
        <TextAreaField
          label="Notes"
          name="notes"
          hint="Optional, for the reviewers' record; the applicant does not see them."
          value={text}
          onChange={(event) => setText(event.target.value)}
          errors={errors.notes}
        />
      ) : (
        <TextAreaField
          label="Reason"
          name="reason"
          required
          hint={`Required: ${application.applicant.name} reads it in the email and the notice (3 to 2,000 characters).`}
          value={text}
          onChange={(event) => setText(event.target.value)}
          errors={errors.reason}
        />
      )}
      {mutation.isError && (
        <ErrorMessage
          error={mutation.error}
          title={decision === 'approve' ? 'Could not approve' : 'Could not reject'}
          inlineFields={[field]}
        />
      )}
      <DialogActions
        busy={mutation.isPending}
        onCancel={onCancel}
        cancelLabel="Decide later"
        submitLabel={decision === 'approve' ? 'Approve application' : 'Reject application'}
        danger={decision !== 'approve'}
      />
    </Form>
  );
}
