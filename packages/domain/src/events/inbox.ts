import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';

export interface InboxKey {
  /** A stable name of the consuming component; the worker uses the queue name. */
  consumer: string;
  eventId: string;
}

export type ConsumeResult<T> = { processed: true; result: T } | { processed: false };

/**
 * Idempotent consumption (SPEC §2). Opens a transaction, records `(consumer, eventId)` in the inbox
 * and runs `effects` in that same transaction — only if the pair was new. So the effects commit
 * exactly once per consumer and event, however often the job is delivered: a redelivery after a
 * crash, a retry after a later step failed, or two workers racing on duplicates (the second insert
 * waits on the first's row lock and then finds the conflict).
 *
 * If `effects` throws, the transaction rolls back with the inbox row, and the next delivery runs them
 * again. Effects outside the database (an email, an HTTP call) are not covered: make those
 * idempotent on the event id themselves, or record intent here and perform them from their own job.
 */
export async function consumeOnce<T>(
  db: Kysely<Database>,
  key: InboxKey,
  effects: (trx: Transaction<Database>) => Promise<T>,
): Promise<ConsumeResult<T>> {
  return db.transaction().execute(async (trx): Promise<ConsumeResult<T>> => {
    const recorded = await trx
      .insertInto('inbox')
      .values({ consumer: key.consumer, event_id: key.eventId })
      .onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!recorded) return { processed: false };
    return { processed: true, result: await effects(trx) };
  });
}
