import { describe, expect, it } from 'vitest';
import { applyQueueTableView, nextSort, type QueueRowFacts, readQueueTableView } from './queue-table.ts';

function queue(name: string, facts: Partial<QueueRowFacts> = {}): QueueRowFacts {
  return {
    name,
    kind: 'queue',
    deadLetter: `${name}.dead-letter`,
    waiting: 0,
    counts: { active: 0, failed: 0 },
    oldestWaitingSeconds: null,
    failuresPerMinute: 0,
    unconsumed: false,
    ...facts,
  };
}
const dead = (of: string, waiting: number): QueueRowFacts =>
  queue(`${of}.dead-letter`, { kind: 'dead_letter', deadLetter: null, waiting });

const ALL = [
  queue('mail', { waiting: 5, counts: { active: 1, failed: 2 } }),
  dead('mail', 3),
  queue('billing', { waiting: 9, oldestWaitingSeconds: 40 }),
  dead('billing', 0),
  queue('search', { counts: { active: 4, failed: 0 }, oldestWaitingSeconds: 400 }),
  dead('search', 0),
];
const names = (rows: QueueRowFacts[]) => rows.map((q) => q.name);
const view = (search: string) => readQueueTableView(new URLSearchParams(search));

describe('queues table view', () => {
  it('keeps the catalogue order without a sort, and reads unknown parameters as the default', () => {
    expect(names(applyQueueTableView(ALL, view('')))).toEqual(names(ALL));
    expect(view('sort=evil&dir=sideways')).toEqual({ sort: undefined, dir: 'asc', q: '', problems: false });
  });

  it('sorts by a column, numbers biggest first by default, ties by name', () => {
    expect(names(applyQueueTableView(ALL, view('sort=failed&dir=desc'))).slice(0, 2)).toEqual([
      'mail',
      'billing',
    ]);
    expect(names(applyQueueTableView(ALL, view('sort=waiting'))).slice(0, 2)).toEqual(['billing', 'mail']);
    expect(names(applyQueueTableView(ALL, view('sort=oldest')))[0]).toBe('search');
    expect(names(applyQueueTableView(ALL, view('sort=name&dir=asc')))[0]).toBe('billing');
    // A queue's dead letters are those waiting in its dead-letter queue.
    expect(names(applyQueueTableView(ALL, view('sort=deadLetters'))).slice(0, 2)).toEqual([
      'mail',
      'mail.dead-letter',
    ]);
  });

  it('filters by name and to queues with problems', () => {
    expect(names(applyQueueTableView(ALL, view('q=BILL')))).toEqual(['billing', 'billing.dead-letter']);
    expect(names(applyQueueTableView(ALL, view('problems=1')))).toEqual(['mail', 'mail.dead-letter']);
    const unconsumed = [queue('idle', { waiting: 1, unconsumed: true }), queue('fine')];
    expect(names(applyQueueTableView(unconsumed, view('problems=1')))).toEqual(['idle']);
  });

  it('a click sorts by the column, a second click flips it', () => {
    expect(nextSort(view(''), 'failed')).toEqual({ sort: 'failed', dir: 'desc' });
    expect(nextSort(view('sort=failed&dir=desc'), 'failed')).toEqual({ sort: 'failed', dir: 'asc' });
    expect(nextSort(view('sort=failed&dir=desc'), 'name')).toEqual({ sort: 'name', dir: 'asc' });
  });
});
