import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { useRealtimeStatus } from '../../lib/realtime.ts';
import { formatClockTime } from '../../lib/time-format.ts';
import { api, type RouterOutputs } from '../../lib/trpc.ts';

type QueueHistory = RouterOutputs['ops']['queueHistory'];

import { Form } from '../../components/form.tsx';
import { FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { describeJobState, formatAge, formatCount, formatRate } from './format.ts';
import { JobSearchForm } from './job-search-page.tsx';
import { JOB_STATES, live, OPS_REFRESH_MS, type OpsQueue, queuePath, useOpsAccess } from './ops-queries.ts';
import { PausedState, PauseResumeButton } from './queue-controls.tsx';
import {
  applyQueueTableView,
  deadLettersOf,
  nextSort,
  QUEUE_SORT_LABELS,
  type QueueSort,
  type QueueTableView,
  readQueueTableView,
} from './queue-table.ts';
import { QueueSparkline, useQueueSparklines } from './queue-trend.tsx';
import { changedParams } from './url-state.ts';

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
  const [params, setParams] = useSearchParams();
  const view = readQueueTableView(params);
  const rows = data ? applyQueueTableView(data.queues, view) : [];
  const setView = (changes: Record<string, string | undefined>) =>
    setParams((current) => changedParams(current, changes), { replace: false });
  const sortHeader = (sort: QueueSort, className?: string) => (
    <SortHeader key={sort} sort={sort} view={view} onSort={(next) => setView(next)} className={className} />
  );

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
        <QueueFilters
          key={`${view.q}|${view.problems}`}
          view={view}
          onChange={(changes) => setView(changes)}
          shown={rows.length}
          total={data.queues.length}
        />
      )}
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
                  {sortHeader('name')}
                  <th scope="col">State</th>
                  {JOB_STATES.map((state) => {
                    const sort = SORT_OF_STATE[state];
                    return sort ? (
                      sortHeader(sort, 'table__numeric')
                    ) : (
                      <th scope="col" key={state} className="table__numeric">
                        {describeJobState(state).label}
                      </th>
                    );
                  })}
                  {sortHeader('deadLetters', 'table__numeric')}
                  <th scope="col" className="table__numeric">
                    Per minute
                  </th>
                  {sortHeader('oldest', 'table__numeric')}
                  <th scope="col">Last hour</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((queue) => (
                  <QueueRow
                    key={queue.name}
                    queue={queue}
                    deadLetters={deadLettersOf(queue, data.queues)}
                    operator={operator}
                    feedback={feedback}
                    history={histories.get(queue.name)}
                    historyError={sparklines.isError ? sparklines.error : null}
                  />
                ))}
              </tbody>
            </table>
            {rows.length === 0 && (
              <p className="ops-empty" data-testid="queues-empty">
                No queue matches these filters.
              </p>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

function QueueRow({
  queue,
  deadLetters,
  operator,
  feedback,
  history,
  historyError,
}: {
  queue: OpsQueue;
  /** Dead letters waiting: its own (a dead-letter queue) or its dead-letter queue's. */
  deadLetters: number;
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
              <Link
                to={queuePath(queue.name, state)}
                aria-label={`${count} ${describeJobState(state).label.toLowerCase()} in ${queue.name}`}
              >
                {formatCount(count)}
              </Link>
            ) : (
              <span className="muted">0</span>
            )}
          </td>
        );
      })}
      <td
        className={`table__numeric${deadLetters > 0 ? ' ops-count--alert' : ''}`}
        data-testid={`dead-letters-${queue.name}`}
      >
        {deadLetters > 0 ? formatCount(deadLetters) : <span className="muted">0</span>}
      </td>
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

/** The states whose column sorts the table (the others are shown, not sorted by). */
const SORT_OF_STATE: Partial<Record<(typeof JOB_STATES)[number], QueueSort>> = {
  created: 'waiting',
  active: 'active',
  failed: 'failed',
};

/** A column header that sorts the table by it; says how it sorts now (aria-sort). */
function SortHeader({
  sort,
  view,
  onSort,
  className,
}: {
  sort: QueueSort;
  view: QueueTableView;
  onSort: (next: { sort: QueueSort; dir: 'asc' | 'desc' }) => void;
  className?: string | undefined;
}) {
  const active = view.sort === sort;
  const label = sort === 'waiting' ? describeJobState('created').label : QUEUE_SORT_LABELS[sort];
  return (
    <th
      scope="col"
      className={className}
      aria-sort={active ? (view.dir === 'asc' ? 'ascending' : 'descending') : undefined}
    >
      <button
        type="button"
        className="ops-sort-button"
        onClick={() => onSort(nextSort(view, sort))}
        aria-label={`Sort by ${label.toLowerCase()}${active ? (view.dir === 'asc' ? ', now ascending' : ', now descending') : ''}`}
      >
        {label}
        {active && <span aria-hidden="true">{view.dir === 'asc' ? ' ▲' : ' ▼'}</span>}
      </button>
    </th>
  );
}

/** Narrow the table: by name, and to queues that need attention. */
function QueueFilters({
  view,
  onChange,
  shown,
  total,
}: {
  view: QueueTableView;
  onChange: (changes: Record<string, string | undefined>) => void;
  shown: number;
  total: number;
}) {
  const [text, setText] = useState(view.q);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange({ q: text.trim() || undefined });
  };
  return (
    <Form className="ops-filters" onSubmit={submit} aria-label="Filter queues">
      <label className="ops-inline-field">
        Queue name contains{' '}
        <input type="search" value={text} maxLength={200} onChange={(event) => setText(event.target.value)} />
      </label>
      <button type="submit" className="button button--quiet">
        Filter
      </button>
      <label className="ops-inline-field">
        <input
          type="checkbox"
          // Uncontrolled: the tick shows at once while the address changes (the form is keyed by it).
          defaultChecked={view.problems}
          onChange={(event) => onChange({ problems: event.target.checked ? '1' : undefined })}
        />{' '}
        Only queues with problems
      </label>
      <span className="muted" data-testid="queues-shown">
        {shown === total ? `${total} queues` : `${shown} of ${total} queues`}
      </span>
    </Form>
  );
}
