import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ConfirmButton, ResultNotice } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import {
  CHANNEL_LABEL,
  isCancellable,
  NotificationStatusPill,
  recipientText,
} from './notifications-status.tsx';

type NotificationDetail = RouterOutputs['notifications']['get'];

/** One notification: where it goes, what it says, every delivery attempt; cancel while it waits. */
export function NotificationDetailPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const [result, setResult] = useState<string | null>(null);
  const detail = useQuery({
    ...api.notifications.get.queryOptions({ id }),
    retry: false,
    // Delivery is the worker's: follow it while the notification is still on its way.
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === 'pending' ? 2_000 : false;
    },
  });

  return (
    <div>
      <p>
        <Link to="/admin/notifications">← All notifications</Link>
      </p>
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      {detail.isError ? (
        <ErrorMessage
          error={detail.error}
          title="Could not load the notification"
          onRetry={() => void detail.refetch()}
        />
      ) : detail.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <NotificationDetailView
          notification={detail.data}
          onCancelled={(updated) => {
            queryClient.setQueryData(api.notifications.get.queryKey({ id }), updated);
            void queryClient.invalidateQueries({ queryKey: api.notifications.pathKey() });
            setResult('The notification was cancelled; it will not be sent.');
          }}
        />
      )}
    </div>
  );
}

function NotificationDetailView({
  notification,
  onCancelled,
}: {
  notification: NotificationDetail;
  onCancelled: (updated: NotificationDetail) => void;
}) {
  const recipient = recipientText(notification.to);

  return (
    <div className="stack">
      <div className="panel" data-testid="notification-detail">
        <div className="section-header">
          <h3>{notification.redacted ? 'Sensitive notification' : notification.subject}</h3>
          <NotificationStatusPill status={notification.status} />
        </div>
        <dl className="facts">
          <div className="facts__row">
            <dt>Channel</dt>
            <dd>{CHANNEL_LABEL[notification.channel]}</dd>
          </div>
          <div className="facts__row">
            <dt>Recipient</dt>
            <dd>{recipient}</dd>
          </div>
          <div className="facts__row">
            <dt>Template</dt>
            <dd>
              {notification.templateKey ? (
                <>
                  <code>{notification.templateKey}</code> ({notification.locale})
                </>
              ) : (
                <span className="muted">none (written by hand)</span>
              )}
            </dd>
          </div>
          <div className="facts__row">
            <dt>Created</dt>
            <dd>{notification.createdAt.toLocaleString()}</dd>
          </div>
          {notification.scheduledAt && (
            <div className="facts__row">
              <dt>Scheduled for</dt>
              <dd>{notification.scheduledAt.toLocaleString()}</dd>
            </div>
          )}
          <div className="facts__row">
            <dt>Attempts</dt>
            <dd>
              {notification.attemptCount} of at most {notification.maxAttempts}
              {notification.nextAttemptAt && notification.status === 'pending' && (
                <> · next {notification.nextAttemptAt.toLocaleString()}</>
              )}
            </dd>
          </div>
          {notification.sentAt && (
            <div className="facts__row">
              <dt>Sent</dt>
              <dd>{notification.sentAt.toLocaleString()}</dd>
            </div>
          )}
          {notification.failedAt && (
            <div className="facts__row">
              <dt>Failed</dt>
              <dd>{notification.failedAt.toLocaleString()}</dd>
            </div>
          )}
          {notification.cancelledAt && (
            <div className="facts__row">
              <dt>Cancelled</dt>
              <dd>{notification.cancelledAt.toLocaleString()}</dd>
            </div>
          )}
          {notification.readAt && (
            <div className="facts__row">
              <dt>Read</dt>
              <dd>{notification.readAt.toLocaleString()}</dd>
            </div>
          )}
          {notification.lastError && (
            <div className="facts__row">
              <dt>Last error</dt>
              <dd className="prose-text">{notification.lastError}</dd>
            </div>
          )}
        </dl>
        {isCancellable(notification.status) && (
          <div className="form__actions">
            <ConfirmButton
              label="Cancel notification"
              title="Cancel this notification?"
              confirmLabel="Cancel notification"
              cancelLabel="Keep notification"
              destructive
              run={() => trpc.notifications.cancel.mutate({ id: notification.id })}
              onSuccess={onCancelled}
            >
              <p>It will not be sent. This cannot be undone; send a new one if you change your mind.</p>
            </ConfirmButton>
          </div>
        )}
      </div>
      <div className="panel">
        <h3>Content</h3>
        {notification.redacted ? (
          <p className="muted">
            This notification carries a secret (a code or a link), so its subject, body and variables are not
            shown here.
          </p>
        ) : (
          <>
            <pre className="mail-body__text">{notification.body}</pre>
            {notification.variables && Object.keys(notification.variables).length > 0 && (
              <>
                <h4>Variables</h4>
                <dl className="facts">
                  {Object.entries(notification.variables).map(([name, value]) => (
                    <div className="facts__row" key={name}>
                      <dt>
                        <code>{name}</code>
                      </dt>
                      <dd className="prose-text">{String(value)}</dd>
                    </div>
                  ))}
                </dl>
              </>
            )}
          </>
        )}
      </div>
      <div className="panel">
        <h3>Delivery attempts</h3>
        {notification.attempts.length === 0 ? (
          <p className="muted">
            {notification.status === 'cancelled' ? 'None: it was cancelled first.' : 'None yet.'}
          </p>
        ) : (
          <div className="table-scroll">
            <table className="table" aria-label="Delivery attempts">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Started</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Provider message id</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {notification.attempts.map((attempt) => (
                  <tr key={attempt.attemptNo} data-testid="notification-attempt">
                    <td>{attempt.attemptNo}</td>
                    <td className="table__nowrap">{attempt.at.toLocaleString()}</td>
                    <td>
                      {attempt.ok === null ? (
                        <span className="pill pill--info">in flight</span>
                      ) : attempt.ok ? (
                        <span className="pill pill--ok">delivered</span>
                      ) : (
                        <span className="pill pill--down">
                          {attempt.permanent ? 'failed for good' : 'failed'}
                        </span>
                      )}
                    </td>
                    <td className="table__detail">{attempt.providerMessageId ?? '—'}</td>
                    <td className="table__detail">{attempt.error ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}
