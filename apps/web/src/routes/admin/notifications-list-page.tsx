import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { SelectField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api, type RouterInputs } from '../../lib/trpc.ts';
import {
  CHANNEL_LABEL,
  ChannelFilter,
  NOTIFICATION_STATUSES,
  type NotificationChannel,
  type NotificationStatus,
  NotificationStatusPill,
  recipientText,
} from './notifications-status.tsx';

type ListInput = NonNullable<RouterInputs['notifications']['list']>;

const PAGE_SIZE = 25;

/** The organisation's notifications, newest first, filtered by status and channel. */
export function NotificationsListPage() {
  const [status, setStatus] = useState<NotificationStatus | ''>('');
  const [channel, setChannel] = useState<NotificationChannel | ''>('');
  const filters: ListInput = {};
  if (status) filters.status = status;
  if (channel) filters.channel = channel;
  const pages = useCursorPages(`${status}|${channel}`);
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
          onChange={(event) => setStatus(NOTIFICATION_STATUSES.find((s) => s === event.target.value) ?? '')}
        >
          <option value="">Any status</option>
          {NOTIFICATION_STATUSES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </SelectField>
        <ChannelFilter value={channel} onChange={setChannel} />
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
