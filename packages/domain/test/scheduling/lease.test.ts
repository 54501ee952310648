import { useTestDatabase } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/platform/clock.ts';
import {
  acquireLease,
  holdsLease,
  readLease,
  releaseLease,
  releaseLeasesOf,
  renewLease,
} from '../../src/scheduling/lease.ts';

describe('lease locks', () => {
  const t = useTestDatabase();
  const clock = manualClock(new Date('2026-02-01T12:00:00.000Z'));
  const TTL = 5_000;

  it('is held by one owner until it expires; each new holder gets a higher fencing token', async () => {
    const a = await acquireLease(t.db, { name: 'l1', owner: 'a', ttlMs: TTL, now: clock.now() });
    expect(a?.token).toBe(1n);
    expect(await acquireLease(t.db, { name: 'l1', owner: 'b', ttlMs: TTL, now: clock.now() })).toBeNull();
    // Not re-entrant: the same owner cannot take it twice either.
    expect(await acquireLease(t.db, { name: 'l1', owner: 'a', ttlMs: TTL, now: clock.now() })).toBeNull();

    clock.advance(3_000);
    expect(await renewLease(t.db, a!, { ttlMs: TTL, now: clock.now() })).toEqual(
      new Date(clock.now().getTime() + TTL),
    );
    clock.advance(3_000); // 6 s after acquiring, 3 s after renewing: still held
    expect(await acquireLease(t.db, { name: 'l1', owner: 'b', ttlMs: TTL, now: clock.now() })).toBeNull();

    clock.advance(2_001); // the owner stopped renewing (crashed): the lease lapses
    const b = await acquireLease(t.db, { name: 'l1', owner: 'b', ttlMs: TTL, now: clock.now() });
    expect(b?.token).toBe(2n);
    // The stale owner can neither renew nor release, and no longer passes the fence.
    expect(await renewLease(t.db, a!, { ttlMs: TTL, now: clock.now() })).toBeNull();
    expect(await releaseLease(t.db, a!, { now: clock.now() })).toBe(false);
    expect(await t.db.transaction().execute((trx) => holdsLease(trx, a!))).toBe(false);
    expect(await t.db.transaction().execute((trx) => holdsLease(trx, b!))).toBe(true);

    // Released: free at once, and the token still goes up.
    expect(await releaseLease(t.db, b!, { now: clock.now() })).toBe(true);
    const c = await acquireLease(t.db, { name: 'l1', owner: 'c', ttlMs: TTL, now: clock.now() });
    expect(c?.token).toBe(3n);
    expect(await readLease(t.db, 'l1')).toMatchObject({ owner: 'c', token: 3n });
  });

  it('lets exactly one of many concurrent acquirers win', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        acquireLease(t.db, { name: 'contended', owner: `node-${i}`, ttlMs: TTL, now: clock.now() }),
      ),
    );
    expect(attempts.filter((lease) => lease !== null)).toHaveLength(1);
  });

  it('releases every lease of a stopping replica', async () => {
    await acquireLease(t.db, { name: 'r1', owner: 'stopping', ttlMs: TTL, now: clock.now() });
    await acquireLease(t.db, { name: 'r2', owner: 'stopping', ttlMs: TTL, now: clock.now() });
    expect(await releaseLeasesOf(t.db, { owner: 'stopping', now: clock.now() })).toBe(2);
    expect(
      await acquireLease(t.db, { name: 'r1', owner: 'other', ttlMs: TTL, now: clock.now() }),
    ).toMatchObject({
      token: 2n,
    });
  });
});
