import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../auth/use-session.ts';
import { RESYNC_EVENT, type RealtimeEvent, type RealtimeStatus, useRealtimeEvents } from '../lib/realtime.ts';
import { api, trpc } from '../lib/trpc.ts';
import { useDismiss } from '../lib/use-dismiss.ts';
import { ErrorMessage } from './error-message.tsx';

/** The event the worker publishes when an in-app notification reaches the user's inbox (SPEC §6). */
export const NOTIFICATION_NEW_EVENT = 'notification.new';
/** The API publishes this to the reader when they mark notifications read, in any tab or device. */
export const NOTIFICATION_READ_EVENT = 'notification.read';
const RECENT_COUNT = 5;
const TOAST_MS = 12_000;
const MAX_TOASTS = 3;

interface Toast {
  id: string;
  subject: string;
  body: string | null;
}

const STATUS_TEXT: Record<RealtimeStatus, string> = {
  off: 'Live updates are off',
  connecting: 'Connecting live updates…',
  live: 'Live updates are on',
  reconnecting: 'Live updates are reconnecting…',
  failed: 'Live updates are unavailable',
};

/** The fields of a `notification.new` payload the bell shows (the API sends no content for sensitive ones). */
function toastOf(event: RealtimeEvent): Toast {
  const payload = event.payload && typeof event.payload === 'object' ? event.payload : {};
  const field = (name: string) => {
    const value: unknown = name in payload ? Reflect.get(payload, name) : null;
    return typeof value === 'string' && value.length > 0 ? value : null;
  };
  return {
    id: field('id') ?? event.id,
    subject: field('subject') ?? 'New notification',
    body: field('body'),
  };
}

/**
 * The top bar's bell: the unread count from `inbox.unreadCount`, kept current live by
 * `notification.new` on `events.subscribe` (incremented at once, then refetched) and by
 * `notification.read` (read elsewhere: refetched), a panel with the
 * latest notifications, and a short-lived notice for each new one. Signed out, it renders nothing.
 */
export function NotificationBell() {
  const session = useSession();
  if (session.status !== 'signedIn' || !session.user || session.user.mustChangePassword) return null;
  return <Bell />;
}

function Bell() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const rootRef = useRef<HTMLDivElement>(null);
  const panelId = useId();
  const unread = useQuery(api.inbox.unreadCount.queryOptions());
  const count = unread.data?.count ?? 0;

  const status = useRealtimeEvents((event) => {
    if (event.type === NOTIFICATION_NEW_EVENT) {
      queryClient.setQueryData(api.inbox.unreadCount.queryKey(), (previous) =>
        previous ? { count: previous.count + 1 } : previous,
      );
      void queryClient.invalidateQueries({ queryKey: api.inbox.pathKey() });
      const toast = toastOf(event);
      setToasts((current) => [...current.filter((item) => item.id !== toast.id), toast].slice(-MAX_TOASTS));
    } else if (event.type === NOTIFICATION_READ_EVENT || event.type === RESYNC_EVENT) {
      void queryClient.invalidateQueries({ queryKey: api.inbox.pathKey() });
    }
  });

  useEffect(() => {
    if (toasts.length === 0) return;
    const timer = setTimeout(() => setToasts((current) => current.slice(1)), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toasts]);

  useDismiss(open, setOpen, rootRef);

  const label = unread.isError
    ? 'Notifications (unread count unavailable)'
    : count === 0
      ? 'Notifications, none unread'
      : `Notifications, ${count} unread`;

  return (
    <div className="bell" ref={rootRef} data-testid="notification-bell" data-realtime={status}>
      <button
        type="button"
        className="bell__button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        title={STATUS_TEXT[status]}
        onClick={() => setOpen((value) => !value)}
      >
        <BellIcon />
        {count > 0 && (
          <span className="bell__badge" data-testid="unread-badge" aria-hidden="true">
            {count > 99 ? '99+' : count}
          </span>
        )}
        <span className={`bell__live bell__live--${status}`} aria-hidden="true" />
      </button>
      {open && (
        <BellPanel
          id={panelId}
          count={count}
          countError={unread.isError ? unread.error : null}
          status={status}
          onClose={() => setOpen(false)}
        />
      )}
      <section className="toasts" aria-label="New notifications" aria-live="polite">
        {toasts.map((toast) => (
          <div className="toast" key={toast.id} data-testid="notification-toast">
            <p className="toast__title">{toast.subject}</p>
            {toast.body && <p className="toast__body">{toast.body}</p>}
            <div className="toast__actions">
              <Link to="/notifications" onClick={() => setToasts([])}>
                Open notifications
              </Link>
              <button
                type="button"
                className="link-button"
                onClick={() => setToasts((current) => current.filter((item) => item.id !== toast.id))}
              >
                Dismiss
              </button>
            </div>
          </div>
        ))}
      </section>
    </div>
  );
}

function BellPanel({
  id,
  count,
  countError,
  status,
  onClose,
}: {
  id: string;
  count: number;
  countError: unknown;
  status: RealtimeStatus;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const recent = useQuery(api.inbox.list.queryOptions({ limit: RECENT_COUNT }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.inbox.pathKey() });
  const markRead = useMutation({
    mutationFn: (notificationId: string) => trpc.inbox.markRead.mutate({ id: notificationId }),
    onSuccess: refresh,
  });
  const markAll = useMutation({ mutationFn: () => trpc.inbox.markAllRead.mutate(), onSuccess: refresh });

  return (
    <div className="bell__panel" id={id}>
      <div className="bell__header">
        <h2 className="bell__title">Notifications</h2>
        <button
          type="button"
          className="link-button"
          disabled={count === 0 || markAll.isPending}
          onClick={() => markAll.mutate()}
        >
          {markAll.isPending ? 'Marking…' : 'Mark all read'}
        </button>
      </div>
      {countError !== null && (
        <ErrorMessage error={countError} title="Could not count unread notifications" />
      )}
      {markAll.isError && <ErrorMessage error={markAll.error} title="Could not mark them read" />}
      {markRead.isError && <ErrorMessage error={markRead.error} title="Could not mark it read" />}
      {recent.isError ? (
        <ErrorMessage
          error={recent.error}
          title="Could not load notifications"
          onRetry={() => void recent.refetch()}
        />
      ) : recent.isPending ? (
        <p className="muted">Loading…</p>
      ) : recent.data.items.length === 0 ? (
        <p className="muted">No notifications yet.</p>
      ) : (
        <ul className="bell__list">
          {recent.data.items.map((item) => (
            <li key={item.id} className={item.readAt ? 'bell__item' : 'bell__item bell__item--unread'}>
              <p className="bell__subject">{item.subject}</p>
              <p className="bell__body">{item.body}</p>
              <p className="bell__meta">
                <time dateTime={item.deliveredAt.toISOString()}>{item.deliveredAt.toLocaleString()}</time>
                {!item.readAt && (
                  <button
                    type="button"
                    className="link-button"
                    disabled={markRead.isPending}
                    aria-label={`Mark “${item.subject}” read`}
                    onClick={() => markRead.mutate(item.id)}
                  >
                    Mark read
                  </button>
                )}
              </p>
            </li>
          ))}
        </ul>
      )}
      <p className="bell__footer">
        <Link to="/notifications" onClick={onClose}>
          All notifications
        </Link>
        <span className="muted">{STATUS_TEXT[status]}</span>
      </p>
    </div>
  );
}

function BellIcon() {
  return (
    <svg
      className="bell__icon"
      viewBox="0 0 24 24"
      width="20"
      height="20"
      aria-hidden="true"
      focusable="false"
    >
      <path
        d="M12 3a6 6 0 0 0-6 6v3.6l-1.6 2.7A1 1 0 0 0 5.3 17h13.4a1 1 0 0 0 .9-1.7L18 12.6V9a6 6 0 0 0-6-6Zm0 18a2.5 2.5 0 0 0 2.4-2h-4.8a2.5 2.5 0 0 0 2.4 2Z"
        fill="currentColor"
      />
    </svg>
  );
}
