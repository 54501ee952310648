import { formatDateTime, formatRelative, formatShortDateTime } from '../format.ts';

/**
 * A point in time: local date and time (short in tables), the exact ISO instant on hover, optionally
 * "5 min ago".
 */
export function Timestamp({
  value,
  relative = false,
  short = false,
  empty = '—',
}: {
  value: Date | null | undefined;
  relative?: boolean;
  /** Table cells: the time alone for today, no year for this year. */
  short?: boolean;
  empty?: string;
}) {
  if (!value) return <span className="muted">{empty}</span>;
  const iso = value.toISOString();
  return (
    <time dateTime={iso} title={iso} className="ops-time">
      {short ? formatShortDateTime(value) : formatDateTime(value)}
      {relative && <span className="muted"> ({formatRelative(value)})</span>}
    </time>
  );
}
