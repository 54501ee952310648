import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';

/**
 * Lease locks (`scheduler_leases`): a named lock with an owner and an expiry, so a crashed owner's
 * lock lapses by itself, and a **fencing token** that goes up by one every time the lease changes
 * hands. Whoever records an outcome under a lease checks that the token is still the one it was given
 * (`WHERE fencing_token = $mine`): an owner that stalled past its expiry, while another replica took
 * the lease over, can no longer write anything.
 *
 * Times come from the caller's clock (the scheduler's injectable clock), not the database's: tests
 * drive expiry without sleeping, and replicas are expected to run NTP-synchronised clocks whose skew is
 * far below the lease TTL. Skew can only make a lease look expired early; the fencing token keeps that
 * from ever letting two owners record.
 *
 * A released lease keeps its row (owner NULL) so the token never restarts from 1.
 */
export interface Lease {
  name: string;
  owner: string;
  /** Strictly increasing per lease name across all owners. */
  token: bigint;
  expiresAt: Date;
}

type Executor = Kysely<Database>;

/**
 * Takes the lease if it is free, released or expired; returns null when someone else holds it (the
 * same owner too: a lease is not re-entrant). Safe under any concurrency: one statement, row-locked.
 */
export async function acquireLease(
  db: Executor,
  input: { name: string; owner: string; ttlMs: number; now: Date },
): Promise<Lease | null> {
  const expiresAt = new Date(input.now.getTime() + input.ttlMs);
  const row = await db
    .insertInto('scheduler_leases')
    .values({ name: input.name, owner: input.owner, fencing_token: 1, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({
          owner: input.owner,
          fencing_token: sql`scheduler_leases.fencing_token + 1`,
          expires_at: expiresAt,
        })
        .where((eb) =>
          eb.or([
            eb('scheduler_leases.owner', 'is', null),
            eb('scheduler_leases.expires_at', '<=', input.now),
          ]),
        ),
    )
    .returning(['fencing_token', 'expires_at'])
    .executeTakeFirst();
  if (!row) return null;
  return {
    name: input.name,
    owner: input.owner,
    token: BigInt(row.fencing_token),
    expiresAt: row.expires_at,
  };
}

/**
 * Extends the lease while its holder works (heartbeat). False when the lease changed hands (the token
 * moved on) — the holder must stop. An expired lease nobody took over yet is still renewable: no one
 * else has been given a token, so nothing can have happened in between.
 */
export async function renewLease(
  db: Executor,
  lease: Pick<Lease, 'name' | 'owner' | 'token'>,
  input: { ttlMs: number; now: Date },
): Promise<Date | null> {
  const expiresAt = new Date(input.now.getTime() + input.ttlMs);
  const row = await db
    .updateTable('scheduler_leases')
    .set({ expires_at: expiresAt })
    .where('name', '=', lease.name)
    .where('owner', '=', lease.owner)
    .where('fencing_token', '=', lease.token.toString())
    .returning('expires_at')
    .executeTakeFirst();
  return row ? row.expires_at : null;
}

/** Lets the lease go at once (it stays fenced: the next holder gets token + 1). False if not ours. */
export async function releaseLease(
  db: Executor,
  lease: Pick<Lease, 'name' | 'owner' | 'token'>,
  input: { now: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('scheduler_leases')
    .set({ owner: null, expires_at: input.now })
    .where('name', '=', lease.name)
    .where('owner', '=', lease.owner)
    .where('fencing_token', '=', lease.token.toString())
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * The fence of every outcome write: locks the lease row until the caller's transaction ends and tells
 * whether `lease` is still the current one. Run it first in the transaction that records an outcome; a
 * replica trying to take the lease over waits for that transaction instead of racing it.
 */
export async function holdsLease(
  trx: Executor,
  lease: Pick<Lease, 'name' | 'owner' | 'token'>,
): Promise<boolean> {
  const row = await trx
    .selectFrom('scheduler_leases')
    .select(['owner', 'fencing_token'])
    .where('name', '=', lease.name)
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined && row.owner === lease.owner && BigInt(row.fencing_token) === lease.token;
}

export async function readLease(
  db: Executor,
  name: string,
): Promise<{ name: string; owner: string | null; token: bigint; expiresAt: Date } | null> {
  const row = await db
    .selectFrom('scheduler_leases')
    .select(['name', 'owner', 'fencing_token', 'expires_at'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row
    ? { name: row.name, owner: row.owner, token: BigInt(row.fencing_token), expiresAt: row.expires_at }
    : null;
}

/** Releases every lease `owner` still holds (a replica's last act when it stops). */
export async function releaseLeasesOf(db: Executor, input: { owner: string; now: Date }): Promise<number> {
  const result = await db
    .updateTable('scheduler_leases')
    .set({ owner: null, expires_at: input.now })
    .where('owner', '=', input.owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
