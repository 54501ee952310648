import type { Database } from '@atrium/db';
import type { Clock } from '@atrium/domain/platform/clock';
import type { LogSink } from '@atrium/domain/platform/logger';
import { type Lease, renewLease } from '@atrium/domain/scheduling/lease';
import type { Kysely } from 'kysely';

/**
 * Keeps a claimed run's lease alive while its handler runs: renews it every third of the TTL, so two
 * missed heartbeats still leave it held. When a renewal finds the lease gone to another replica (the
 * token moved on — this one stalled past its expiry), `onLost` fires once and the keeper stops: the
 * run must be abandoned, and its outcome will be refused by the fence anyway.
 *
 * A renewal that fails for a database error is retried at the next beat; if the database stays away
 * longer than the TTL, another replica takes over once it can reach it, and the fence settles it.
 */
export interface LeaseKeeper {
  stop(): void;
}

export function keepLeaseAlive(input: {
  db: Kysely<Database>;
  clock: Clock;
  lease: Lease;
  ttlMs: number;
  logger: LogSink;
  onLost: () => void;
}): LeaseKeeper {
  let stopped = false;
  let inFlight = false;
  const beat = async () => {
    if (stopped || inFlight) return;
    inFlight = true;
    try {
      const renewed = await renewLease(input.db, input.lease, { ttlMs: input.ttlMs, now: input.clock.now() });
      if (!renewed && !stopped) {
        stopped = true;
        clearInterval(timer);
        input.logger.warn(
          { lease: input.lease.name, token: input.lease.token.toString() },
          'scheduler: lease lost to another replica; abandoning the run',
        );
        input.onLost();
      }
    } catch (error) {
      input.logger.warn({ lease: input.lease.name, err: error }, 'scheduler: lease renewal failed; retrying');
    } finally {
      inFlight = false;
    }
  };
  const timer = setInterval(() => void beat(), Math.max(Math.floor(input.ttlMs / 3), 10));
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
