import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { api } from '../../lib/trpc.ts';
import { BulkActionsBar, DiscardAllButton } from './bulk-actions.tsx';
import { FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { RedriveAllButton, RedriveButton } from './dead-letter-actions.tsx';
import { describeJobState, formatAge, formatCount, formatRate } from './format.ts';
import { JobsList } from './jobs-list.tsx';
import { isJobState, JOB_STATES, live, useOpsAccess } from './ops-queries.ts';
import { PausedState, PauseResumeButton, RetryAllFailedButton } from './queue-controls.tsx';
import { CHART_RANGES, type ChartRangeId, QueueCharts } from './queue-trend.tsx';
import { changedParams, searchWith, useUrlCursorPages, useUrlSelection } from './url-state.ts';

/** One queue: its numbers, its charts, and its jobs by state with search. */
export function QueuePage() {
  const { queue: queueName = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const feedback = useFeedback();
  const stateParam = params.get('state');
  const state = isJobState(stateParam) ? stateParam : undefined;
  const search = params.get('q')?.trim() || undefined;
  const order = params.get('order') === 'oldest' ? 'oldest' : 'newest';
  const [range, setRange] = useState<ChartRangeId>('1h');
  // The page and the ticked rows live in the address: a reload or a shared link shows the same view.
  const pages = useUrlCursorPages();
  const selection = useUrlSelection();

  const queues = useQuery({ ...api.ops.queues.queryOptions(), ...live });
  const queue = queues.data?.queues.find((q) => q.name === queueName);
  const { canManage } = useOpsAccess();
  const operator = queues.data?.scope === 'platform' && canManage;

  // A new filter starts again at page 1 with nothing selected.
  const setParam = (name: string, value: string | undefined) =>
    setParams((current) => changedParams(current, { [name]: value, after: undefined, sel: undefined }), {
      replace: false,
    });
  const filterLink = (value: string | undefined) =>
    searchWith(params, { state: value, after: undefined, sel: undefined });

  return (
    <div className="ops-section">
      <nav aria-label="Breadcrumb" className="ops-breadcrumb">
        <Link to="/ops/queues">Queues</Link> <span aria-hidden="true">›</span> <span>{queueName}</span>
      </nav>
      <header className="ops-section__header">
        <h2 data-testid="queue-title">{queueName}</h2>
        {queue && <PausedState queue={queue} />}
        {queue?.kind === 'dead_letter' && (
          <span className="tag">dead letters of {queue.sources.join(', ')}</span>
        )}
        <span className="ops-section__actions">
          {queue && operator && <PauseResumeButton queue={queue} feedback={feedback} />}
          {queue && canManage && <RetryAllFailedButton queue={queue} feedback={feedback} />}
          {queue?.kind === 'dead_letter' && canManage && (
            <>
              <RedriveAllButton deadLetterQueue={queue.name} waiting={queue.waiting} feedback={feedback} />
              <DiscardAllButton deadLetterQueue={queue.name} waiting={queue.waiting} feedback={feedback} />
            </>
          )}
        </span>
      </header>
      <FeedbackNotice feedback={feedback} />
      {queues.isError && <ErrorMessage error={queues.error} title="Could not load the queue" />}
      {queues.data && !queue && (
        <ErrorMessage
          error={new Error(`There is no queue named “${queueName}” in the catalogue.`)}
          title="Queue not found"
        />
      )}

      {queue && (
        <>
          <dl className="ops-facts-inline" data-testid="queue-summary">
            <div>
              <dt>Waiting</dt>
              <dd data-testid="queue-waiting">{formatCount(queue.waiting)}</dd>
            </div>
            <div>
              <dt>Oldest waiting</dt>
              <dd>{formatAge(queue.oldestWaitingSeconds)}</dd>
            </div>
            {queue.kind === 'queue' && (
              <>
                <div>
                  <dt>Throughput</dt>
                  <dd>{formatRate(queue.throughputPerMinute)} / min</dd>
                </div>
                <div>
                  <dt>Failures</dt>
                  <dd>{formatRate(queue.failuresPerMinute)} / min</dd>
                </div>
                <div>
                  <dt>Dead letters go to</dt>
                  <dd>
                    {queue.deadLetter ? (
                      <Link to={`/ops/queues/${encodeURIComponent(queue.deadLetter)}`}>
                        {queue.deadLetter}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </dd>
                </div>
              </>
            )}
            {queue.events.length > 0 && (
              <div>
                <dt>Receives</dt>
                <dd>{queue.events.join(', ')}</dd>
              </div>
            )}
          </dl>

          <section className="panel" aria-labelledby="queue-charts-title">
            <header className="ops-section__header">
              <h3 id="queue-charts-title">Depth and failures</h3>
              <label className="ops-inline-field">
                Range{' '}
                <select value={range} onChange={(event) => setRange(event.target.value as ChartRangeId)}>
                  {CHART_RANGES.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.label}
                    </option>
                  ))}
                </select>
              </label>
            </header>
            <QueueCharts queue={queue.name} range={range} />
          </section>
        </>
      )}

      <section className="panel" aria-labelledby="queue-jobs-title">
        <header className="ops-section__header">
          <h3 id="queue-jobs-title">Jobs</h3>
        </header>
        <nav className="ops-tabs" aria-label="Filter jobs by state">
          <Link
            to={{ search: filterLink(undefined) }}
            aria-current={state === undefined ? 'page' : undefined}
            className="ops-tabs__tab"
          >
            All
          </Link>
          {JOB_STATES.map((s) => (
            <Link
              key={s}
              to={{ search: filterLink(s) }}
              aria-current={state === s ? 'page' : undefined}
              className="ops-tabs__tab"
              data-testid={`state-tab-${s}`}
            >
              {describeJobState(s).label}
              {queue && (
                <span className="ops-tabs__count" data-count={queue.counts[s]}>
                  {formatCount(queue.counts[s])}
                </span>
              )}
            </Link>
          ))}
        </nav>
        <JobSearchForm
          key={search ?? ''}
          initial={search ?? ''}
          onSearch={(value) => setParam('q', value || undefined)}
        />
        <label className="ops-inline-field">
          Order{' '}
          <select
            value={order}
            onChange={(event) => setParam('order', event.target.value === 'oldest' ? 'oldest' : undefined)}
          >
            <option value="newest">Newest first</option>
            <option value="oldest">Oldest first</option>
          </select>
        </label>
        {queue && canManage && <BulkActionsBar queue={queue} selection={selection} feedback={feedback} />}
        <JobsList
          queue={queueName}
          pages={pages}
          selection={canManage ? selection : undefined}
          state={state}
          search={search}
          order={order}
          rowAction={
            queue?.kind === 'dead_letter' && canManage
              ? (job) =>
                  job.state === 'created' || job.state === 'retry' ? (
                    <RedriveButton deadLetterQueue={queue.name} id={job.id} feedback={feedback} />
                  ) : null
              : undefined
          }
        />
      </section>
    </div>
  );
}

function JobSearchForm({ initial, onSearch }: { initial: string; onSearch: (value: string) => void }) {
  const [value, setValue] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(value.trim());
  };
  return (
    <search className="ops-search">
      <Form onSubmit={submit} aria-label="Search jobs">
        <label htmlFor="job-search">Search by job id or payload</label>
        <div className="ops-search__row">
          <input
            id="job-search"
            type="search"
            value={value}
            maxLength={500}
            onChange={(event) => setValue(event.target.value)}
            placeholder='a job id, {"type":"OrgCreated"} or any text'
            aria-describedby="job-search-hint"
          />
          <button type="submit" className="button">
            Search
          </button>
          {initial && (
            <button
              type="button"
              className="button button--quiet"
              onClick={() => {
                setValue('');
                onSearch('');
              }}
            >
              Clear
            </button>
          )}
        </div>
        <p id="job-search-hint" className="muted ops-hint">
          A job id also finds dead letters and redriven jobs of that job; a JSON object matches payloads that
          contain it; any other text matches anywhere in the payload.
        </p>
      </Form>
    </search>
  );
}
