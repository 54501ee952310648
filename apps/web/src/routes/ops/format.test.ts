import { describe, expect, it } from 'vitest';
import { describeJobState, shortId } from './format.ts';

describe('shortId', () => {
  it('tells apart outbox job ids, which share their first block (the event sequence number)', () => {
    const ids = [
      '00000000-0001-8c2d-9f1e-3a4b5c6d7e8f',
      '00000000-0002-8a11-b7c3-0d9e8f7a6b5c',
      '00000000-0003-8e4f-a2b1-c3d4e5f60718',
    ];
    const shown = ids.map(shortId);
    expect(new Set(shown).size).toBe(ids.length);
    expect(shown[0]).toBe('…5c6d7e8f');
  });

  it('tells apart UUIDv7 ids created in the same millisecond', () => {
    expect(shortId('019aa3f2-7c10-7a01-8f00-aaaabbbbcccc')).not.toBe(
      shortId('019aa3f2-7c10-7a02-9e11-ddddeeeeffff'),
    );
  });
});

describe('describeJobState', () => {
  const now = new Date(2026, 11, 3, 13, 0, 0);
  const at = (hours: number, minutes: number, day = 3) => new Date(2026, 11, day, hours, minutes);
  const time = (date: Date) => date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

  it('speaks plainly of every state', () => {
    const labels = (['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const).map(
      (state) => describeJobState(state).label,
    );
    expect(labels).toEqual(['Waiting', 'Retrying', 'Running', 'Done', 'Cancelled', 'Failed for good']);
  });

  it('says when a delayed job runs: scheduled, or retrying after a backoff', () => {
    const later = at(14, 2);
    expect(describeJobState('retry', { startAfter: later, now })).toEqual({
      label: `Will retry at ${time(later)}`,
      tone: 'warn',
      delayed: true,
    });
    expect(describeJobState('created', { startAfter: later, now })).toMatchObject({
      label: `Scheduled for ${time(later)}`,
      delayed: true,
    });
    // Another day names the day.
    expect(describeJobState('created', { startAfter: at(9, 30, 5), now }).label).toMatch(
      /^Scheduled for .*5.*, /,
    );
  });

  it('a start time that has come (or a finished job) is not delayed', () => {
    expect(describeJobState('created', { startAfter: at(12, 59), now })).toEqual({
      label: 'Waiting',
      tone: 'info',
      delayed: false,
    });
    expect(describeJobState('failed', { startAfter: at(14, 2), now })).toMatchObject({
      label: 'Failed for good',
      delayed: false,
    });
  });
});
