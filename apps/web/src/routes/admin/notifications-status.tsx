import { SelectField } from '../../components/form-field.tsx';
import type { RouterOutputs } from '../../lib/trpc.ts';

export type NotificationSummary = RouterOutputs['notifications']['list']['items'][number];
export type NotificationStatus = NotificationSummary['status'];
export type NotificationChannel = NotificationSummary['channel'];

export const NOTIFICATION_STATUSES: readonly NotificationStatus[] = [
  'pending',
  'scheduled',
  'sent',
  'failed',
  'cancelled',
];

const STATUS_TONE: Record<NotificationStatus, string> = {
  pending: 'info',
  scheduled: 'neutral',
  sent: 'ok',
  failed: 'down',
  cancelled: 'warn',
};

export const CHANNEL_LABEL: Record<NotificationChannel, string> = {
  email: 'Email',
  in_app: 'In-app',
};

/** The "Channel" filter of a notifications list: one channel, or '' for any. */
export function ChannelFilter({
  value,
  onChange,
}: {
  value: NotificationChannel | '';
  onChange: (channel: NotificationChannel | '') => void;
}) {
  return (
    <SelectField
      label="Channel"
      value={value}
      onChange={(event) =>
        onChange(event.target.value === 'email' || event.target.value === 'in_app' ? event.target.value : '')
      }
    >
      <option value="">Any channel</option>
      <option value="email">{CHANNEL_LABEL.email}</option>
      <option value="in_app">{CHANNEL_LABEL.in_app}</option>
    </SelectField>
  );
}

export function NotificationStatusPill({ status }: { status: NotificationStatus }) {
  return (
    <span className={`pill pill--${STATUS_TONE[status]}`} data-status={status}>
      <span className="pill__dot" aria-hidden="true" />
      {status}
    </span>
  );
}

/** Who a notification is for: the member's name and the address, as far as the API knows them. */
export function recipientText(to: NotificationSummary['to']): string {
  if (to.name && to.email) return `${to.name} (${to.email})`;
  if (to.name) return to.name;
  if (to.email) return to.email;
  // A member who is no longer in the organisation: only the id is left.
  if (to.userId) return `member ${to.userId.slice(0, 8)}…`;
  return 'unknown';
}

/** Only these can still be cancelled (the API answers 409 for the others). */
export function isCancellable(status: NotificationStatus): boolean {
  return status === 'pending' || status === 'scheduled';
}

/** "Sensitive": the content carries a secret (stored encrypted, withheld from the lists). */
export function SensitiveCheckbox({
  checked,
  onChange,
  label,
  description,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
  description: string;
}) {
  return (
    <label className="checkbox">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      <span>
        {label}
        <span className="checkbox__description">{description}</span>
      </span>
    </label>
  );
}
