import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ResultNotice } from '../../components/confirm-dialog.tsx';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { ListPanel } from '../../components/list-panel.tsx';
import { plural } from '../../lib/plural.ts';
import { api, trpc } from '../../lib/trpc.ts';

const PAGE_SIZE = 20;

/**
 * Notifications: the caller's inbox (`inbox.list`), newest first, all or unread only; mark one or
 * all read. The list stays live — the bell in the top bar refetches the inbox on `notification.new`
 * and on `notification.read` (read in another tab or device), which refreshes this list too.
 */
export function InboxPage() {
  const queryClient = useQueryClient();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const pages = useCursorPages(unreadOnly ? 'unread' : 'all');
  const list = useQuery({
    ...api.inbox.list.queryOptions({ unreadOnly, cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const unread = useQuery(api.inbox.unreadCount.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.inbox.pathKey() });
  const markRead = useMutation({
    mutationFn: (id: string) => trpc.inbox.markRead.mutate({ id }),
    onSuccess: () => void refresh(),
  });
  const markAll = useMutation({
    mutationFn: () => trpc.inbox.markAllRead.mutate(),
    onSuccess: ({ updated }) => {
      setResult(
        updated === 0
          ? 'Nothing to mark: every notification was already read.'
          : `Marked ${plural(updated, 'notification')} read.`,
      );
      void refresh();
    },
  });
  const unreadCount = unread.data?.count ?? 0;

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">Notifications</h1>
          <p className="muted" data-testid="inbox-unread-summary">
            {unread.isSuccess
              ? unreadCount === 0
                ? 'You are all caught up.'
                : `${unreadCount} unread.`
              : 'Your in-app notifications, newest first.'}
          </p>
        </div>
      </header>
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      <div className="toolbar">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(event) => setUnreadOnly(event.target.checked)}
          />
          <span>Unread only</span>
        </label>
        <button
          type="button"
          className="button button--quiet"
          disabled={markAll.isPending || unreadCount === 0}
          onClick={() => markAll.mutate()}
        >
          {markAll.isPending ? 'Marking…' : 'Mark all read'}
        </button>
      </div>
      {unread.isError && <ErrorMessage error={unread.error} title="Could not count unread notifications" />}
      {markAll.isError && <ErrorMessage error={markAll.error} title="Could not mark all read" />}
      {markRead.isError && (
        <ErrorMessage error={markRead.error} title="Could not mark the notification read" />
      )}
      <ListPanel
        query={list}
        errorTitle="Could not load your notifications"
        isEmpty={(data) => data.items.length === 0}
        empty={
          <p>
            {pages.page > 1
              ? 'No more notifications.'
              : unreadOnly
                ? 'No unread notifications.'
                : 'No notifications yet. Decisions on your applications, reviews and other news arrive here.'}
          </p>
        }
        emptyTestId="inbox-empty"
        pager={{ label: 'notifications', pages }}
      >
        {(data) => (
          <ul className="inbox" aria-label="Notifications">
            {data.items.map((item) => (
              <li
                key={item.id}
                className={item.readAt ? 'inbox__item' : 'inbox__item inbox__item--unread'}
                data-testid="inbox-item"
                data-read={item.readAt ? 'true' : 'false'}
              >
                <div className="inbox__head">
                  <h2 className="inbox__subject">
                    {!item.readAt && <span className="visually-hidden">Unread: </span>}
                    {item.subject}
                  </h2>
                  <time className="inbox__time" dateTime={item.deliveredAt.toISOString()}>
                    {item.deliveredAt.toLocaleString()}
                  </time>
                </div>
                <p className="inbox__body">{item.body}</p>
                <div className="inbox__actions">
                  {item.readAt ? (
                    <span className="muted">Read {item.readAt.toLocaleString()}</span>
                  ) : (
                    <button
                      type="button"
                      className="button button--quiet"
                      disabled={markRead.isPending}
                      aria-label={`Mark “${item.subject}” read`}
                      onClick={() => markRead.mutate(item.id)}
                    >
                      Mark read
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </ListPanel>
    </section>
  );
}
