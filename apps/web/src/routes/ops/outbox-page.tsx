import { useSearchParams } from 'react-router';
import { ConfirmButton } from '../../components/confirm-dialog.tsx';
import { formatDuration } from '../../lib/time-format.ts';
import { api } from '../../lib/trpc.ts';
import { FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { JsonBlock } from './components/json-block.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { formatCount, shortId } from './format.ts';
import { useOpsAccess, useRefreshOps } from './ops-queries.ts';
import { OpsListSection, useLivePagedQuery } from './paged-list.tsx';

const replay = api.ops.outboxReplay.mutationOptions().mutationFn;

type OutboxStatus = 'pending' | 'failed';

/** Unpublished outbox events, oldest first, with the lag and a replay per event. */
export function OutboxPage() {
  const feedback = useFeedback();
  const refresh = useRefreshOps();
  const { canManage } = useOpsAccess();
  const [params, setParams] = useSearchParams();
  const status: OutboxStatus = params.get('status') === 'failed' ? 'failed' : 'pending';
  const outbox = useLivePagedQuery(status, (page) => api.ops.outbox.queryOptions({ status, ...page }));
  const data = outbox.query.data;

  return (
    <div className="ops-section">
      <header className="ops-section__header">
        <h2>Outbox</h2>
      </header>
      <p className="muted">
        Events written with their change and not yet fanned out to queues by the relay. <em>Failed</em> ones
        had their fan-out fail; the relay keeps retrying them on every wake. Replay after fixing the cause.
      </p>
      <FeedbackNotice feedback={feedback} />
      {data && (
        <dl className="ops-facts-inline" data-testid="outbox-summary">
          <div>
            <dt>Pending</dt>
            <dd data-testid="outbox-pending">{formatCount(data.summary.pending)}</dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd
              data-testid="outbox-failed"
              className={data.summary.failed > 0 ? 'ops-count--alert' : undefined}
            >
              {formatCount(data.summary.failed)}
            </dd>
          </div>
          <div>
            <dt>Lag</dt>
            <dd data-testid="outbox-lag">{formatDuration(data.summary.lagSeconds)}</dd>
          </div>
          <div>
            <dt>Oldest pending</dt>
            <dd>
              <Timestamp value={data.summary.oldestPendingAt} empty="none" />
            </dd>
          </div>
        </dl>
      )}
      <nav className="ops-tabs" aria-label="Filter events">
        {(['pending', 'failed'] as const).map((s) => (
          <button
            key={s}
            type="button"
            className="ops-tabs__tab"
            aria-pressed={status === s}
            onClick={() => setParams(s === 'pending' ? {} : { status: s })}
          >
            {s === 'pending' ? 'All unpublished' : 'Failed'}
            {data && (
              <span className="ops-tabs__count">
                {formatCount(s === 'pending' ? data.summary.pending : data.summary.failed)}
              </span>
            )}
          </button>
        ))}
      </nav>
      <OpsListSection
        list={outbox}
        errorTitle="Could not load the outbox"
        label="Outbox events"
        tableTestId="outbox-table"
        head={
          <>
            <th scope="col">Seq</th>
            <th scope="col">Event</th>
            <th scope="col">Aggregate</th>
            <th scope="col">Written</th>
            <th scope="col" className="table__numeric">
              Age
            </th>
            <th scope="col" className="table__numeric">
              Attempts
            </th>
            <th scope="col">Last error</th>
            {canManage && <th scope="col">Action</th>}
          </>
        }
        row={(event) => (
          <tr key={event.id} data-testid={`outbox-${event.id}`}>
            <th scope="row">{event.seq}</th>
            <td className="table__detail">
              <span className="tag">{event.type}</span> <code title={event.id}>{shortId(event.id)}</code>
              {event.orgId && <span className="muted"> · org {shortId(event.orgId)}</span>}
              <details className="ops-details">
                <summary>Payload</summary>
                <JsonBlock value={event.payload} />
              </details>
            </td>
            <td>
              {event.aggregateType} <code>{event.aggregateId}</code>
            </td>
            <td>
              <Timestamp short value={event.createdAt} />
            </td>
            <td className="table__numeric">{formatDuration(event.ageSeconds)}</td>
            <td className="table__numeric">{event.attempts}</td>
            <td className="table__detail">
              {event.lastError ? (
                <span className="ops-error-text">{event.lastError}</span>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            {canManage && (
              <td>
                <ConfirmButton
                  label="Replay"
                  ariaLabel={`Replay event ${event.id}`}
                  title={`Replay ${event.type}?`}
                  confirmLabel="Replay event"
                  quiet
                  run={() => replay({ id: event.id })}
                  onSuccess={(result) => {
                    feedback.show(
                      result.mode === 'retry'
                        ? `Event ${shortId(result.id)}: failure record cleared; the relay publishes it now.`
                        : `Event ${shortId(result.id)} marked unpublished; the relay delivers it again.`,
                    );
                    void refresh();
                  }}
                >
                  <p>
                    Clears the event's attempts and last error and wakes the relays, which fan it out at once.
                    Consumers that already handled it do nothing (their inbox records it).
                  </p>
                </ConfirmButton>
              </td>
            )}
          </tr>
        )}
        empty={status === 'failed' ? 'No event has a failed fan-out.' : 'Every event is published: no lag.'}
        emptyTestId="outbox-empty"
        pagerLabel="events"
      />
    </div>
  );
}
