/** `3 d 4 h`, `2 h 5 min`, `4 min 12 s`, `12 s`: the two largest units are enough to read at a glance. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const units = [
    { label: 'd', size: 86_400 },
    { label: 'h', size: 3_600 },
    { label: 'min', size: 60 },
    { label: 's', size: 1 },
  ] as const;
  const index = units.findIndex((unit) => seconds >= unit.size);
  const major = units[index];
  const minor = units[index + 1];
  if (!major || !minor) return `${seconds} s`;
  return `${Math.floor(seconds / major.size)} ${major.label} ${Math.floor((seconds % major.size) / minor.size)} ${minor.label}`;
}

/** Wall-clock time with seconds, in the reader's locale. */
export function formatClockTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function formatLatency(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/**
 * A moment someone acts on or compares with others — an expiry, an incident's times: date, time and
 * the zone ("3 Dec 2026, 14:05 CET"), since "until 14:05" alone is wrong for a colleague elsewhere.
 */
export function formatDateTimeWithZone(date: Date): string {
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}
