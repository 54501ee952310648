import { Link, useSearchParams } from 'react-router';
import { api, type RouterOutputs } from '../../lib/trpc.ts';
import { JobStatePill } from './components/state-pill.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { formatCount, shortId } from './format.ts';
import { jobPath } from './ops-queries.ts';
import { OpsListSection, useLivePagedQuery } from './paged-list.tsx';
import { changedParams, useUrlCursorPages } from './url-state.ts';

/**
 * Inbox failures (a tab of the Failures page): event deliveries a consumer has not handled — retrying
 * (failed at least once, pg-boss runs it again) or dead-lettered (retries exhausted). Each carries its
 * last error and links to the job to act on. The consumer and the page are kept in the address.
 */
export function InboxFailuresPanel() {
  const [params, setParams] = useSearchParams();
  const consumer = params.get('consumer') ?? undefined;
  const pages = useUrlCursorPages();
  const failures = useLivePagedQuery(
    consumer ?? '',
    (page) => api.ops.inboxFailures.queryOptions({ ...page, ...(consumer ? { consumer } : {}) }),
    pages,
  );
  const data = failures.query.data;

  return (
    <>
      <p className="muted">
        A consumer records an event in its inbox only together with its effects, so a failure lives on the
        event's job: it either <em>will retry</em> (after a backoff) or has <em>failed for good</em> (retries
        exhausted: redrive or discard its dead letter). “Handled after all” means the effects committed and
        only something after them failed; a redrive is then harmless.
      </p>
      <OpsListSection
        list={failures}
        errorTitle="Could not load the inbox failures"
        label="Failed deliveries"
        above={
          data && (
            <ConsumersTable
              consumers={data.consumers}
              selected={consumer}
              onSelect={(selected) =>
                setParams((current) => changedParams(current, { consumer: selected, after: undefined }))
              }
            />
          )
        }
        tableTestId="inbox-failures"
        head={
          <>
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
          </>
        }
        row={(item) => (
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
              <JobStatePill
                state={item.kind === 'dead_letter' ? 'failed' : 'retry'}
                startAfter={item.retryAt}
              />
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
              <Link to={jobPath(item.queue, item.jobId)} aria-label={`Job ${item.jobId} in ${item.queue}`}>
                {item.kind === 'dead_letter' ? 'Redrive…' : 'Open'}
              </Link>
            </td>
          </tr>
        )}
        empty={consumer ? `${consumer} has no failed deliveries.` : 'No consumer has a failed delivery.'}
        emptyTestId="inbox-empty"
        pagerLabel="failed deliveries"
      />
    </>
  );
}

type InboxConsumer = RouterOutputs['ops']['inboxFailures']['consumers'][number];

/** Every consumer with its failure counts; "Only this" narrows the failed deliveries to one. */
function ConsumersTable({
  consumers,
  selected,
  onSelect,
}: {
  consumers: readonly InboxConsumer[];
  selected: string | undefined;
  /** The consumer to show alone, or undefined for all of them. */
  onSelect: (consumer: string | undefined) => void;
}) {
  return (
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
            {consumers.map((c) => (
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
                    aria-pressed={selected === c.consumer}
                    onClick={() => onSelect(selected === c.consumer ? undefined : c.consumer)}
                  >
                    {selected === c.consumer ? 'Show all' : 'Only this'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
