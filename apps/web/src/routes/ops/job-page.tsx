import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { ConfirmButton } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Fact } from '../../components/fact.tsx';
import { api } from '../../lib/trpc.ts';
import { type Feedback, FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { JsonBlock } from './components/json-block.tsx';
import { JobStatePill } from './components/state-pill.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { RedriveButton } from './dead-letter-actions.tsx';
import { describeJobState, formatDueTime, shortId } from './format.ts';
import { jobPath, live, type OpsJobDetail, queuePath, useOpsAccess, useRefreshOps } from './ops-queries.ts';

const retryJob = api.ops.retry.mutationOptions().mutationFn;
const cancelJob = api.ops.cancel.mutationOptions().mutationFn;
const deleteJob = api.ops.delete.mutationOptions().mutationFn;
const runJobNow = api.ops.runNow.mutationOptions().mutationFn;

/** One job in full: payload, output or error, timestamps, provenance, and what can be done to it. */
export function JobPage() {
  const { queue = '', id = '' } = useParams();
  const feedback = useFeedback();
  const job = useQuery({ ...api.ops.job.queryOptions({ queue, id }), ...live });
  const data = job.data;

  return (
    <div className="ops-section">
      <nav aria-label="Breadcrumb" className="ops-breadcrumb">
        <Link to="/ops/queues">Queues</Link> <span aria-hidden="true">›</span>{' '}
        <Link to={queuePath(queue)}>{queue}</Link> <span aria-hidden="true">›</span>{' '}
        <span>{shortId(id)}</span>
      </nav>
      <header className="ops-section__header">
        <h2>
          Job <code data-testid="job-id">{id}</code>
        </h2>
        {data && <JobStatePill state={data.state} startAfter={data.startAfter} testId="job-state" />}
      </header>
      <FeedbackNotice feedback={feedback} />
      {job.isError && (
        <ErrorMessage error={job.error} title="Could not load the job" onRetry={() => void job.refetch()} />
      )}
      {job.isPending && <p className="muted">Loading…</p>}
      {data && (
        <>
          <JobActions job={data} feedback={feedback} />
          <div className="ops-grid">
            <section className="panel" aria-labelledby="job-facts-title">
              <h3 id="job-facts-title">Details</h3>
              <dl className="facts" data-testid="job-facts">
                <Fact label="Queue">
                  <Link to={queuePath(data.queue)}>{data.queue}</Link>
                </Fact>
                <Fact label="State">
                  {describeJobState(data.state, { startAfter: data.startAfter }).label}
                </Fact>
                <Fact label="Event">{data.eventType ?? <span className="muted">not an event</span>}</Fact>
                <Fact label="Organisation">{data.orgId ?? <span className="muted">platform</span>}</Fact>
                <Fact label="Retries used">
                  {data.retryCount} of {data.retryLimit}
                </Fact>
                <Fact label="Priority">{data.priority}</Fact>
                {data.singletonKey && <Fact label="Singleton key">{data.singletonKey}</Fact>}
                <Fact label="Dead letters go to">
                  {data.deadLetterQueue ? (
                    <Link to={queuePath(data.deadLetterQueue)}>{data.deadLetterQueue}</Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </Fact>
                {data.rootId && data.rootId !== data.id && (
                  <Fact label="First job of its chain">
                    <code>{data.rootId}</code>
                  </Fact>
                )}
              </dl>
            </section>
            <section className="panel" aria-labelledby="job-times-title">
              <h3 id="job-times-title">Timestamps</h3>
              <dl className="facts" data-testid="job-times">
                <Fact label="Created">
                  <Timestamp value={data.createdOn} relative />
                </Fact>
                <Fact label="Runnable from">
                  <Timestamp value={data.startAfter} relative />
                </Fact>
                <Fact label="Started">
                  <Timestamp value={data.startedOn} relative empty="not yet" />
                </Fact>
                <Fact label="Finished">
                  <Timestamp value={data.completedOn} relative empty="not yet" />
                </Fact>
                <Fact label="Kept until">
                  <Timestamp value={data.keepUntil} />
                </Fact>
              </dl>
            </section>
          </div>

          {data.deadLetter && (
            <section className="panel" aria-labelledby="job-provenance-title" data-testid="job-provenance">
              <h3 id="job-provenance-title">Dead letter of</h3>
              <dl className="facts">
                <Fact label="Source job">
                  {data.deadLetter.sourceQueue && data.deadLetter.sourceId ? (
                    <Link to={jobPath(data.deadLetter.sourceQueue, data.deadLetter.sourceId)}>
                      {data.deadLetter.sourceQueue} / {data.deadLetter.sourceId}
                    </Link>
                  ) : (
                    <span className="muted">unknown</span>
                  )}
                </Fact>
                <Fact label="Source created">
                  <Timestamp value={data.deadLetter.sourceCreatedOn} />
                </Fact>
                <Fact label="Retries it used">{data.deadLetter.retryCount ?? '—'}</Fact>
                <Fact label="Its error">
                  {data.deadLetter.error ? (
                    <span className="ops-error-text">{data.deadLetter.error}</span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </Fact>
              </dl>
            </section>
          )}

          {data.deadLetterCopies.length > 0 && (
            <section className="panel" aria-labelledby="job-copies-title" data-testid="job-copies">
              <h3 id="job-copies-title">Its copy in the dead-letter queue</h3>
              <p className="muted">
                This job exhausted its retries, so a copy waits in the dead-letter queue. Redrive the copy, or
                retry this job (which removes the copy, so the failure is handled once).
              </p>
              <ul>
                {data.deadLetterCopies.map((copy) => (
                  <li key={copy.id}>
                    <Link to={jobPath(copy.queue, copy.id)}>
                      {copy.queue} / {copy.id}
                    </Link>{' '}
                    <JobStatePill state={copy.state} />
                  </li>
                ))}
              </ul>
            </section>
          )}

          <div className="ops-grid">
            <section className="panel" aria-labelledby="job-payload-title">
              <h3 id="job-payload-title">Payload</h3>
              <JsonBlock value={data.data} testId="job-payload" />
            </section>
            <section className="panel" aria-labelledby="job-output-title">
              <h3 id="job-output-title">{outputTitle(data)}</h3>
              {data.error && (
                <p className="ops-error-text" data-testid="job-error">
                  {data.error}
                </p>
              )}
              {data.output === null || data.output === undefined ? (
                <p className="muted">No output yet.</p>
              ) : (
                <JsonBlock value={data.output} testId="job-output" />
              )}
            </section>
          </div>
        </>
      )}
    </div>
  );
}

function outputTitle(job: OpsJobDetail): string {
  if (job.state === 'completed') return 'Result';
  if (job.state === 'failed' || job.state === 'retry') return 'Last error';
  return 'Output';
}

function JobActions({ job, feedback }: { job: OpsJobDetail; feedback: Feedback }) {
  const refresh = useRefreshOps();
  const navigate = useNavigate();
  const { canManage } = useOpsAccess();
  const ref = { queue: job.queue, id: job.id };
  const unfinished = job.state === 'created' || job.state === 'retry' || job.state === 'active';
  const isDeadLetter = job.deadLetter !== null;

  if (!canManage) {
    return <p className="muted ops-hint">Acting on jobs needs the permission ops.manage.</p>;
  }

  return (
    <div className="row-actions ops-actions">
      {job.state === 'failed' && (
        <ConfirmButton
          label="Retry"
          title="Retry this failed job?"
          confirmLabel="Retry job"
          run={() => retryJob(ref)}
          onSuccess={(result) => {
            feedback.show(
              `Job ${shortId(result.id)} retried: it waits for a worker (${describeJobState(result.state).label.toLowerCase()})${
                result.removedDeadLetters > 0
                  ? `; its copy in the dead-letter queue was removed (${result.removedDeadLetters})`
                  : ''
              }.`,
            );
            void refresh();
          }}
        >
          <p>
            pg-boss grants the job one more attempt in <code>{job.queue}</code>; a worker picks it up at its
            next poll.
            {job.deadLetterCopies.length > 0 &&
              ' Its copy waiting in the dead-letter queue is removed, so the failure is handled once.'}
          </p>
        </ConfirmButton>
      )}
      {describeJobState(job.state, { startAfter: job.startAfter }).delayed && (
        <ConfirmButton
          label="Run now"
          title="Run this job now?"
          confirmLabel="Run it now"
          cancelLabel="Keep waiting"
          run={() => runJobNow(ref)}
          onSuccess={(result) => {
            feedback.show(`Job ${shortId(result.id)} runs now: the next worker to poll takes it.`);
            void refresh();
          }}
        >
          <p>
            The job waits until {formatDueTime(job.startAfter)}. Run now makes it runnable at once; a worker
            picks it up at its next poll.
          </p>
        </ConfirmButton>
      )}
      {isDeadLetter && (job.state === 'created' || job.state === 'retry') && (
        <RedriveButton
          deadLetterQueue={job.queue}
          id={job.id}
          feedback={feedback}
          onRedriven={(result, message) =>
            navigate(result.newJobId ? jobPath(result.queue, result.newJobId) : queuePath(job.queue), {
              state: { feedback: message },
            })
          }
        />
      )}
      {unfinished && (
        <ConfirmButton
          label="Cancel job"
          title="Cancel this job?"
          confirmLabel="Yes, cancel the job"
          destructive
          run={() => cancelJob(ref)}
          onSuccess={(result) => {
            feedback.show(`Job ${shortId(result.id)} cancelled.`);
            void refresh();
          }}
        >
          <p>
            The job will not run
            {job.state === 'active'
              ? ' again; the handler running it now is not interrupted, and its result is discarded'
              : ''}
            .
          </p>
        </ConfirmButton>
      )}
      {job.state !== 'active' && (
        <ConfirmButton
          label="Delete"
          title="Delete this job for good?"
          confirmLabel="Delete job"
          destructive
          run={() => deleteJob(ref)}
          onSuccess={(result) => {
            void refresh();
            navigate(queuePath(result.queue), {
              state: { feedback: `Job ${result.id} deleted from ${result.queue}.` },
            });
          }}
        >
          <p>
            The job and its payload are removed from <code>{job.queue}</code>. This cannot be undone.
          </p>
        </ConfirmButton>
      )}
      <p className="muted ops-hint">{actionNote(job)}</p>
    </div>
  );
}

/** Why the actions shown are the only ones. */
function actionNote(job: OpsJobDetail): string {
  switch (job.state) {
    case 'failed':
      return 'Retry gives it one more attempt in its queue.';
    case 'active':
      return 'A running job can be cancelled, not deleted: cancel it first.';
    case 'completed':
    case 'cancelled':
      return 'Finished jobs can only be deleted; pg-boss drops them at the end of their retention anyway.';
    default:
      return 'Only failed jobs can be retried.';
  }
}
