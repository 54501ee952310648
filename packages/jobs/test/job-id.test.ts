import { describe, expect, it } from 'vitest';
import { outboxJobId } from '../src/job-id.ts';

describe('outboxJobId', () => {
  const event = { id: '0b9f6a52-4d63-4c1e-9f1a-0c2f4b1e7d10', seq: '42' };

  it('is a pure function of the event and the queue', () => {
    expect(outboxJobId(event, 'search.index')).toBe(outboxJobId({ ...event }, 'search.index'));
    expect(outboxJobId(event, 'search.index')).not.toBe(outboxJobId(event, 'notifications.dispatch'));
    expect(outboxJobId(event, 'search.index')).not.toBe(
      outboxJobId({ ...event, id: '5c7a8d0e-1f2b-4c3d-8e9f-0a1b2c3d4e5f' }, 'search.index'),
    );
  });

  it('is an RFC 9562 version 8 UUID that leads with the outbox seq', () => {
    const id = outboxJobId(event, 'search.index');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id.slice(0, 13)).toBe('00000000-002a');
  });

  it('sorts in seq order, as PostgreSQL compares uuids (bytewise)', () => {
    const seqs = [1n, 2n, 255n, 256n, 65_536n, 2n ** 40n, 2n ** 48n - 1n];
    const ids = seqs.map((seq, i) =>
      outboxJobId({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, seq }, 'q'),
    );
    expect([...ids].sort()).toEqual(ids);
  });

  it('refuses a seq that does not fit its 48 bits', () => {
    expect(() => outboxJobId({ ...event, seq: 2n ** 48n }, 'q')).toThrow(/48 bits/);
  });
});
