import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api } from '../../lib/trpc.ts';
import { BulkActionsBar, DiscardAllButton } from './bulk-actions.tsx';
import { FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { RedriveAllButton, RedriveButton } from './dead-letter-actions.tsx';
import { formatAge, formatCount } from './format.ts';
import { JobsList } from './jobs-list.tsx';
import { live, queuePath, useOpsAccess } from './ops-queries.ts';
import { changedParams, useUrlCursorPages, useUrlSelection } from './url-state.ts';

/**
 * Dead letters (a tab of the Failures page): jobs that exhausted their retries, copied into their
 * queue's dead-letter queue, waiting for someone to redrive them (one, some, or all) or discard them.
 * The queue shown, the page and the ticked rows are kept in the address.
 */
export function DeadLettersPanel() {
  const feedback = useFeedback();
  const pages = useUrlCursorPages();
  const selection = useUrlSelection();
  const { canManage } = useOpsAccess();
  const [params, setParams] = useSearchParams();
  const queues = useQuery({ ...api.ops.queues.queryOptions(), ...live });
  const deadLetterQueues = queues.data?.queues.filter((q) => q.kind === 'dead_letter') ?? [];
  const selectedName =
    params.get('queue') ?? (deadLetterQueues.find((q) => q.waiting > 0) ?? deadLetterQueues[0])?.name;
  const selected = deadLetterQueues.find((q) => q.name === selectedName);

  return (
    <>
      <p className="muted">
        A job that exhausted its retries stays <em>failed</em> in its queue and a copy waits here. Redrive the
        copy to run it again as a new job, or retry the failed original from its page (which removes the
        copy). For an ordered queue prefer retry.
      </p>
      <FeedbackNotice feedback={feedback} />
      {queues.isError && <ErrorMessage error={queues.error} title="Could not load the dead-letter queues" />}
      {queues.isPending && <p className="muted">Loading…</p>}
      {queues.data && (
        <div className="panel ops-panel-table">
          <div className="table-scroll">
            <table className="table" data-testid="dead-letter-queues">
              <thead>
                <tr>
                  <th scope="col">Dead-letter queue</th>
                  <th scope="col">Of</th>
                  <th scope="col" className="table__numeric">
                    Waiting
                  </th>
                  <th scope="col" className="table__numeric">
                    Oldest
                  </th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {deadLetterQueues.map((queue) => (
                  <tr
                    key={queue.name}
                    data-testid={`dlq-${queue.name}`}
                    data-selected={queue.name === selectedName}
                  >
                    <th scope="row">
                      <Link to={queuePath(queue.name)}>{queue.name}</Link>
                    </th>
                    <td>{queue.sources.join(', ')}</td>
                    <td className="table__numeric" data-testid={`dlq-waiting-${queue.name}`}>
                      {formatCount(queue.waiting)}
                    </td>
                    <td className="table__numeric">{formatAge(queue.oldestWaitingSeconds)}</td>
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          className="button button--quiet"
                          aria-pressed={queue.name === selectedName}
                          onClick={() =>
                            setParams((current) =>
                              changedParams(current, { queue: queue.name, after: undefined, sel: undefined }),
                            )
                          }
                        >
                          Show
                        </button>
                        {canManage && queue.waiting > 0 && (
                          <>
                            <RedriveAllButton
                              deadLetterQueue={queue.name}
                              waiting={queue.waiting}
                              feedback={feedback}
                            />
                            <DiscardAllButton
                              deadLetterQueue={queue.name}
                              waiting={queue.waiting}
                              feedback={feedback}
                            />
                          </>
                        )}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {selected && (
        <section className="panel" aria-labelledby="dead-letters-list-title">
          <h3 id="dead-letters-list-title">Waiting in {selected.name}</h3>
          {canManage && <BulkActionsBar queue={selected} selection={selection} feedback={feedback} />}
          <JobsList
            queue={selected.name}
            state="created"
            pages={pages}
            selection={canManage ? selection : undefined}
            emptyText={`No dead letters are waiting in ${selected.name}.`}
            rowAction={
              canManage
                ? (job) => <RedriveButton deadLetterQueue={selected.name} id={job.id} feedback={feedback} />
                : undefined
            }
          />
        </section>
      )}
    </>
  );
}
