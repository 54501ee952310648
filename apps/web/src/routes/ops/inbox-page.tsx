import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { CursorPager, useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api } from '../../lib/trpc.ts';
import { StatePill } from './components/state-pill.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { formatCount, shortId } from './format.ts';
import { jobPath, live, PAGE_SIZE } from './ops-queries.ts';

/**
 * Event deliveries a consumer has not handled: retrying (failed at least once, pg-boss runs it again)
 * or dead-lettered (retries exhausted). Each links to the job to act on.
 */
export function InboxPage() {
  const [params, setParams] = useSearchParams();
  const consumer = params.get('consumer') ?? undefined;
  const pager = useCursorPages(consumer ?? '');
  const failures = useQuery({
    ...api.ops.inboxFailures.queryOptions({
      limit: PAGE_SIZE,
      ...(consumer ? { consumer } : {}),
      ...(pager.cursor ? { cursor: pager.cursor } : {}),
    }),
    ...live,
    placeholderData: keepPreviousData,
  });
  const data = failures.data;

  return (
    <div className="ops-section">
      <header className="ops-section__header">
        <h2>Inbox failures</h2>
      </header>
      <p className="muted">
        A consumer records an event in its inbox only together with its effects, so a failure lives on the
        event's job: <em>retrying</em> (pg-boss tries again after a backoff) or <em>dead letter</em> (retries
        exhausted: redrive it). “Handled after all” means the effects committed and only something after them
        failed; a redrive is then harmless.
      </p>
      {failures.isError && (
        <ErrorMessage
          error={failures.error}
          title="Could not load the inbox failures"
          onRetry={() => void failures.refetch()}
        />
      )}
      {failures.isPending && <p className="muted">Loading…</p>}
      {data && (
        <>
          <div className="panel ops-panel-table">
            <div className="table-scroll">
              <table className="table" data-testid="inbox-consumers">
                <caption className="ops-caption">Consumers</caption>
                <thead>
                  <tr>
                    <th scope="col">Consumer</th>
                    <th scope="col">Events</th>
                    <th scope="col" className="table__numeric">
                      Retrying
                    </th>
                    <th scope="col" className="table__numeric">
                      Dead-lettered
                    </th>
                    <th scope="col">Filter</th>
                  </tr>
                </thead>
                <tbody>
                  {data.consumers.map((c) => (
                    <tr key={c.consumer} data-testid={`consumer-${c.consumer}`}>
                      <th scope="row">{c.consumer}</th>
                      <td>{c.events.join(', ')}</td>
                      <td className="table__numeric">{formatCount(c.retrying)}</td>
                      <td className={`table__numeric${c.deadLettered > 0 ? ' ops-count--alert' : ''}`}>
                        {formatCount(c.deadLettered)}
                      </td>
                      <td>
                        <button
                          type="button"
                          className="button button--quiet"
                          aria-pressed={consumer === c.consumer}
                          onClick={() => setParams(consumer === c.consumer ? {} : { consumer: c.consumer })}
                        >
                          {consumer === c.consumer ? 'Show all' : 'Only this'}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <section className="panel ops-panel-table" aria-label="Failed deliveries">
            {data.items.length === 0 ? (
              <p className="ops-empty" data-testid="inbox-empty">
                {consumer ? `${consumer} has no failed deliveries.` : 'No consumer has a failed delivery.'}
              </p>
            ) : (
              <div className="table-scroll">
                <table className="table" data-testid="inbox-failures">
                  <thead>
                    <tr>
                      <th scope="col">Event</th>
                      <th scope="col">Consumer</th>
                      <th scope="col">Failure</th>
                      <th scope="col" className="table__numeric">
                        Attempts
                      </th>
                      <th scope="col">Last error</th>
                      <th scope="col">First queued</th>
                      <th scope="col">Handled after all</th>
                      <th scope="col">Job</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((item) => (
                      <tr key={`${item.queue}/${item.jobId}`} data-testid={`inbox-${item.jobId}`}>
                        <th scope="row">
                          {item.eventType ? (
                            <span className="tag">{item.eventType}</span>
                          ) : (
                            <span className="muted">—</span>
                          )}{' '}
                          {item.eventId && <code title={item.eventId}>{shortId(item.eventId)}</code>}
                          {item.orgId && <span className="muted"> · org {shortId(item.orgId)}</span>}
                        </th>
                        <td>{item.consumer}</td>
                        <td>
                          <StatePill state={item.kind} />
                        </td>
                        <td className="table__numeric">{item.attempts}</td>
                        <td className="table__detail">
                          {item.lastError ? (
                            <span className="ops-error-text">{item.lastError}</span>
                          ) : (
                            <span className="muted">—</span>
                          )}
                        </td>
                        <td>
                          <Timestamp short value={item.firstQueuedAt} />
                        </td>
                        <td>
                          <Timestamp short value={item.processedAt} empty="no" />
                        </td>
                        <td>
                          <Link
                            to={jobPath(item.queue, item.jobId)}
                            aria-label={`Job ${item.jobId} in ${item.queue}`}
                          >
                            {item.kind === 'dead_letter' ? 'Redrive…' : 'Open'}
                          </Link>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <CursorPager
              hideSinglePage
              pages={pager}
              nextCursor={data.nextCursor}
              label="failed deliveries"
              busy={failures.isFetching}
            />
          </section>
        </>
      )}
    </div>
  );
}
