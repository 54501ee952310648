import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { useRealtimeStatus } from '../../lib/realtime.ts';
import { formatClockTime } from '../../lib/time-format.ts';
import { api, type RouterOutputs } from '../../lib/trpc.ts';

type QueueHistory = RouterOutputs['ops']['queueHistory'];

import { FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { formatAge, formatCount, formatRate } from './format.ts';
import { JobSearchForm } from './job-search-page.tsx';
import { JOB_STATES, live, OPS_REFRESH_MS, type OpsQueue, queuePath, useOpsAccess } from './ops-queries.ts';
import { PausedState, PauseResumeButton } from './queue-controls.tsx';
import { QueueSparkline, useQueueSparklines } from './queue-trend.tsx';

/** Every catalogued queue and its dead-letter queue, with live counts (SPEC §8 `ops.queues`). */
export function QueuesPage() {
  const feedback = useFeedback();
  const queues = useQuery({ ...api.ops.queues.queryOptions(), ...live });
  const sparklines = useQueueSparklines();
  const realtime = useRealtimeStatus();
  const histories = new Map(sparklines.data?.histories.map((h) => [h.queue, h]));
  const data = queues.data;
  const { canManage } = useOpsAccess();
  // Pause and resume are the platform operators' (an org admin's scope gets 403).
  const operator = data?.scope === 'platform' && canManage;

  return (
    <div className="ops-section">
      <header className="ops-section__header">
        <h2>Queues</h2>
        {data && (
          <span className="muted ops-updated" data-testid="queues-updated">
            Updated {formatClockTime(queues.dataUpdatedAt)} ·{' '}
            {realtime === 'live' ? 'live' : `refreshes every ${OPS_REFRESH_MS / 1000} s`}
            {queues.isFetching && <span className="spinner" role="presentation" />}
          </span>
        )}
      </header>
      <FeedbackNotice feedback={feedback} />
      <JobSearchForm />
      {data && data.scope === 'org' && (
        <p className="notice">
          Counts include your organisation's jobs only. Pausing queues is for operators.
        </p>
      )}
      {queues.isError && <ErrorMessage error={queues.error} title="Could not load the queues" />}
      {queues.isPending && <p className="muted">Loading…</p>}
      {data && (
        <div className="panel ops-panel-table">
          <div className="table-scroll">
            <table className="table ops-queues" data-testid="queues-table">
              <caption className="ops-caption">
                Jobs per state now (a count links to those jobs); rates over the last{' '}
                {data.windowSeconds / 60} min.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">State</th>
                  {JOB_STATES.map((state) => (
                    <th scope="col" key={state} className="table__numeric">
                      {state}
                    </th>
                  ))}
                  <th scope="col" className="table__numeric">
                    Per minute
                  </th>
                  <th scope="col" className="table__numeric" title="Oldest waiting">
                    Oldest
                  </th>
                  <th scope="col">Last hour</th>
                </tr>
              </thead>
              <tbody>
                {data.queues.map((queue) => (
                  <QueueRow
                    key={queue.name}
                    queue={queue}
                    operator={operator}
                    feedback={feedback}
                    history={histories.get(queue.name)}
                    historyError={sparklines.isError ? sparklines.error : null}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </div>
  );
}

function QueueRow({
  queue,
  operator,
  feedback,
  history,
  historyError,
}: {
  queue: OpsQueue;
  operator: boolean;
  feedback: ReturnType<typeof useFeedback>;
  history: QueueHistory | undefined;
  historyError: { message: string } | null;
}) {
  return (
    <tr data-testid={`queue-${queue.name}`} data-kind={queue.kind} data-paused={queue.paused}>
      <th scope="row" className="ops-queues__name">
        <Link to={queuePath(queue.name)}>{queue.name}</Link>
        <span className="ops-queue-meta">
          {queue.kind === 'dead_letter' ? (
            <span className="tag">dead-letter queue</span>
          ) : (
            <>
              {queue.ordered && <span className="tag">ordered</span>}
              <span className="tag" title="Retries before a job goes to its dead-letter queue">
                {queue.retryLimit} retries
              </span>
            </>
          )}
        </span>
      </th>
      <td>
        <div className="ops-queues__state">
          <PausedState queue={queue} />
          {operator && <PauseResumeButton queue={queue} feedback={feedback} />}
        </div>
      </td>
      {JOB_STATES.map((state) => {
        const count = queue.counts[state];
        return (
          <td
            key={state}
            className={`table__numeric${state === 'failed' && count > 0 ? ' ops-count--alert' : ''}`}
            data-state-count={state}
            data-count={count}
          >
            {count > 0 ? (
              <Link to={queuePath(queue.name, state)} aria-label={`${count} ${state} in ${queue.name}`}>
                {formatCount(count)}
              </Link>
            ) : (
              <span className="muted">0</span>
            )}
          </td>
        );
      })}
      <td className="table__numeric">
        {queue.kind === 'queue' ? (
          <span className="ops-rates">
            <span title="Completed per minute">{formatRate(queue.throughputPerMinute)} done</span>
            <span
              title="Failed for good per minute"
              className={queue.failuresPerMinute > 0 ? 'ops-count--alert' : 'muted'}
            >
              {formatRate(queue.failuresPerMinute)} failed
            </span>
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="table__numeric" data-testid={`oldest-${queue.name}`}>
        {formatAge(queue.oldestWaitingSeconds)}
      </td>
      <td>
        <QueueSparkline queue={queue.name} history={history} error={historyError} />
      </td>
    </tr>
  );
}
