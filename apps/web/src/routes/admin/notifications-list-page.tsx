import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { SelectField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api, type RouterInputs } from '../../lib/trpc.ts';
import { useUrlFilters } from '../../lib/use-url-filters.ts';
import {
  CHANNEL_LABEL,
  ChannelFilter,
  NOTIFICATION_STATUSES,
  type NotificationChannel,
  NotificationStatusPill,
  recipientText,
} from './notifications-status.tsx';

type ListInput = NonNullable<RouterInputs['notifications']['list']>;

const PAGE_SIZE = 25;

/** The organisation's notifications, newest first, filtered by status and channel. */
export function NotificationsListPage() {
  // Filters and page in the address: a reload or a shared link shows the same list. `sendId` narrows
  // it to what one send to a role or to everyone queued (the send page links here).
  const url = useUrlFilters({ status: '', channel: '', sendId: '' });
  const { pages } = url;
  const status = NOTIFICATION_STATUSES.find((s) => s === url.applied.status) ?? '';
  const channel: NotificationChannel | '' =
    url.applied.channel === 'email' || url.applied.channel === 'in_app' ? url.applied.channel : '';
  const filters: ListInput = {};
  if (status) filters.status = status;
  if (channel) filters.channel = channel;
  if (url.applied.sendId) filters.sendId = url.applied.sendId;
  // The selects apply at once (no Apply button): each change is a new address.
  const setFilter = (key: 'status' | 'channel', value: string) => url.apply({ ...url.applied, [key]: value });
  const list = useQuery({
    ...api.notifications.list.queryOptions({ ...filters, cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  return (
    <div>
      <form
        className="filters"
        aria-label="Filter notifications"
        onSubmit={(event) => event.preventDefault()}
      >
        <SelectField
          label="Status"
          value={status}
          onChange={(event) => setFilter('status', event.target.value)}
        >
          <option value="">Any status</option>
          {NOTIFICATION_STATUSES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </SelectField>
        <ChannelFilter value={channel} onChange={(value) => setFilter('channel', value)} />
        {url.applied.sendId && (
          <p className="muted">
            One send to many people.{' '}
            <button
              type="button"
              className="button button--quiet"
              onClick={() => url.apply({ ...url.applied, sendId: '' })}
            >
              Show every notification
            </button>
          </p>
        )}
      </form>
      <ListPanel
        query={list}
        errorTitle="Could not load notifications"
        isEmpty={(data) => data.items.length === 0}
        empty={
          <p>{pages.page === 1 ? 'No notification matches these filters.' : 'No more notifications.'}</p>
        }
        pager={{ label: 'notifications', pages }}
      >
        {(data) => (
          <DataTable
            label="Notifications"
            head={
              <>
                <th scope="col">Created</th>
                <th scope="col">Channel</th>
                <th scope="col">Recipient</th>
                <th scope="col">Subject</th>
                <th scope="col">Status</th>
                <th scope="col" className="table__numeric">
                  Attempts
                </th>
              </>
            }
          >
            {data.items.map((item) => (
              <tr key={item.id} data-testid="notification-row" data-status={item.status}>
                <td className="table__nowrap">
                  <Link to={`/admin/notifications/${item.id}`}>{item.createdAt.toLocaleString()}</Link>
                </td>
                <td>{CHANNEL_LABEL[item.channel]}</td>
                <td className="table__detail">{recipientText(item.to)}</td>
                <td>
                  {item.redacted ? <span className="muted">(sensitive: withheld)</span> : item.subject}
                  {item.templateKey && <span className="table__sub">template {item.templateKey}</span>}
                </td>
                <td>
                  <NotificationStatusPill status={item.status} />
                  {item.status === 'scheduled' && item.scheduledAt && (
                    <span className="table__sub">for {item.scheduledAt.toLocaleString()}</span>
                  )}
                </td>
                <td className="table__numeric">
                  {item.attemptCount} / {item.maxAttempts}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </div>
  );
}
