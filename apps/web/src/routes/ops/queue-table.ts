/**
 * Sorting and filtering of the queues table, kept in the address (`?sort=failed&dir=desc&q=mail&problems=1`)
 * so a reload or a shared link shows the same table. Pure functions: the page reads the parameters,
 * these order and narrow the rows.
 */

/** The part of a queue row the table sorts and filters by. */
export interface QueueRowFacts {
  name: string;
  kind: 'queue' | 'dead_letter';
  /** A queue's dead-letter queue. */
  deadLetter: string | null;
  waiting: number;
  counts: { active: number; failed: number };
  oldestWaitingSeconds: number | null;
  failuresPerMinute: number;
  unconsumed: boolean;
}

export const QUEUE_SORTS = ['name', 'waiting', 'active', 'failed', 'deadLetters', 'oldest'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];
export type SortDirection = 'asc' | 'desc';

export const QUEUE_SORT_LABELS: Record<QueueSort, string> = {
  name: 'Name',
  waiting: 'Waiting',
  active: 'Running',
  failed: 'Failed for good',
  deadLetters: 'Dead letters',
  oldest: 'Oldest waiting',
};

export interface QueueTableView {
  /** Undefined: the catalogue's order (each queue followed by its dead-letter queue). */
  sort: QueueSort | undefined;
  dir: SortDirection;
  /** Text the queue's name contains (case-insensitive). */
  q: string;
  /** Only queues with failed jobs, dead letters, failures in the window, or nobody consuming them. */
  problems: boolean;
}

/** The view the address asks for; anything unknown falls back to the default. */
export function readQueueTableView(params: URLSearchParams): QueueTableView {
  const sort = params.get('sort');
  const known = (QUEUE_SORTS as readonly string[]).includes(sort ?? '') ? (sort as QueueSort) : undefined;
  const dir = params.get('dir');
  return {
    sort: known,
    dir: dir === 'asc' || dir === 'desc' ? dir : defaultDirection(known ?? 'name'),
    q: (params.get('q') ?? '').trim().slice(0, 200),
    problems: params.get('problems') === '1',
  };
}

/** Names read A→Z; numbers biggest first (the worst queue on top). */
export function defaultDirection(sort: QueueSort): SortDirection {
  return sort === 'name' ? 'asc' : 'desc';
}

/** Clicking a column: sort by it, or flip the direction when it already sorts the table. */
export function nextSort(view: QueueTableView, sort: QueueSort): { sort: QueueSort; dir: SortDirection } {
  if (view.sort === sort) return { sort, dir: view.dir === 'asc' ? 'desc' : 'asc' };
  return { sort, dir: defaultDirection(sort) };
}

/**
 * Dead letters waiting for a row: a dead-letter queue's own waiting jobs; for a queue, those of its
 * dead-letter queue (which several queues may share).
 */
export function deadLettersOf<Q extends QueueRowFacts>(queue: Q, all: readonly Q[]): number {
  if (queue.kind === 'dead_letter') return queue.waiting;
  return all.find((q) => q.name === queue.deadLetter)?.waiting ?? 0;
}

export function hasProblems<Q extends QueueRowFacts>(queue: Q, all: readonly Q[]): boolean {
  return (
    queue.counts.failed > 0 ||
    deadLettersOf(queue, all) > 0 ||
    queue.failuresPerMinute > 0 ||
    queue.unconsumed
  );
}

function sortValue<Q extends QueueRowFacts>(queue: Q, sort: QueueSort, all: readonly Q[]): number | string {
  switch (sort) {
    case 'name':
      return queue.name;
    case 'waiting':
      return queue.waiting;
    case 'active':
      return queue.counts.active;
    case 'failed':
      return queue.counts.failed;
    case 'deadLetters':
      return deadLettersOf(queue, all);
    case 'oldest':
      // Nothing waiting sorts as the youngest.
      return queue.oldestWaitingSeconds ?? -1;
  }
}

/** The rows to show, in the order to show them; ties keep the name order. */
export function applyQueueTableView<Q extends QueueRowFacts>(
  queues: readonly Q[],
  view: QueueTableView,
): Q[] {
  const needle = view.q.toLowerCase();
  const rows = queues.filter(
    (queue) =>
      (!needle || queue.name.toLowerCase().includes(needle)) &&
      (!view.problems || hasProblems(queue, queues)),
  );
  const { sort } = view;
  if (!sort) return rows;
  const sign = view.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, sort, queues);
    const y = sortValue(b, sort, queues);
    const order = typeof x === 'string' && typeof y === 'string' ? x.localeCompare(y) : Number(x) - Number(y);
    return order !== 0 ? sign * order : a.name.localeCompare(b.name);
  });
}
