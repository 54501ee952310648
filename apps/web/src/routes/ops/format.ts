import { formatDuration } from '../../lib/time-format.ts';

/** `29 Nov 2026, 22:57:03` in the reader's locale. */
export function formatDateTime(date: Date): string {
  return date.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** For tables: `23:24:46` today, `29 Nov, 23:24` this year, `29 Nov 2025` before. */
export function formatShortDateTime(date: Date, now: Date = new Date()): string {
  if (date.toDateString() === now.toDateString()) {
    return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }
  if (date.getFullYear() === now.getFullYear()) {
    return date.toLocaleString(undefined, {
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
  }
  return date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** `in 4 min 3 s` / `5 min 2 s ago` / `now`, relative to `now` (epoch ms). */
export function formatRelative(date: Date, now: number = Date.now()): string {
  const seconds = Math.round((date.getTime() - now) / 1000);
  if (Math.abs(seconds) < 1) return 'now';
  return seconds > 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago`;
}

/** A waiting age in seconds, or an em dash when nothing waits. */
export function formatAge(seconds: number | null): string {
  return seconds === null ? '—' : formatDuration(seconds);
}

export function formatCount(value: number): string {
  return value.toLocaleString();
}

/** Jobs per minute, as a number to read at a glance: `0`, `0.4`, `1.25`, `12`. */
export function formatRate(perMinute: number): string {
  if (perMinute === 0) return '0';
  return perMinute < 10 ? perMinute.toFixed(2).replace(/\.?0+$/, '') : String(Math.round(perMinute));
}

export function formatMilliseconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms / 1000);
}

/**
 * The tail of a UUID: enough to tell jobs apart in a table; the full id is in its title. Not the head:
 * outbox job ids start with the event's sequence number (`00000000-0001-8…`) and UUIDv7 ids with a
 * timestamp, so their first block reads the same for every job; the last block is the random or
 * hashed part.
 */
export function shortId(id: string): string {
  const tail = id.split('-').at(-1) ?? id;
  return tail.length > 8 ? `…${tail.slice(-8)}` : tail;
}

/** Pretty JSON for payloads and outputs; `undefined` (no output yet) reads as `null`. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2) ?? 'null';
}

/** `every 5 min`, `every 90 s`, `every 2 h`. */
export function formatInterval(seconds: number): string {
  const units = [
    { size: 86_400, label: 'd' },
    { size: 3_600, label: 'h' },
    { size: 60, label: 'min' },
  ] as const;
  for (const unit of units) {
    if (seconds % unit.size === 0) return `every ${seconds / unit.size} ${unit.label}`;
  }
  return `every ${seconds} s`;
}

/** A job's state in the console's words: pg-boss states, and the inbox's failure kinds. */
export type JobStateWord = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface JobStateDescription {
  /** What a person reads: "Waiting", "Will retry at 14:02", "Failed for good". */
  label: string;
  /** The colour of its pill. */
  tone: 'ok' | 'down' | 'warn' | 'info' | 'neutral';
  /** Its start time is still ahead (scheduled, or backing off before a retry): "Run now" applies. */
  delayed: boolean;
}

const STATE_WORDS: Record<JobStateWord, { label: string; tone: JobStateDescription['tone'] }> = {
  created: { label: 'Waiting', tone: 'info' },
  retry: { label: 'Retrying', tone: 'warn' },
  active: { label: 'Running', tone: 'info' },
  completed: { label: 'Done', tone: 'ok' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
  failed: { label: 'Failed for good', tone: 'down' },
};

/**
 * The one mapping from a job state to the words the whole console uses (tabs, tables, pills, the job
 * page, failures). With the job's start time, a waiting job not due yet says when it runs:
 * "Scheduled for 14:02" (created with a delay) or "Will retry at 14:02" (backing off after a failure).
 */
export function describeJobState(
  state: JobStateWord,
  job: { startAfter?: Date | null; now?: Date } = {},
): JobStateDescription {
  const words = STATE_WORDS[state];
  const now = job.now ?? new Date();
  const delayed =
    (state === 'created' || state === 'retry') &&
    job.startAfter != null &&
    job.startAfter.getTime() > now.getTime();
  if (!delayed || !job.startAfter) return { ...words, delayed: false };
  const at = formatDueTime(job.startAfter, now);
  return state === 'created'
    ? { label: `Scheduled for ${at}`, tone: 'info', delayed: true }
    : { label: `Will retry at ${at}`, tone: 'warn', delayed: true };
}

/** `14:02` today, `4 Dec, 14:02` another day. */
export function formatDueTime(date: Date, now: Date = new Date()): string {
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === now.toDateString()) return time;
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}
