import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { deleteInBatches, retentionCutoff } from '../platform/delete-in-batches.ts';

/**
 * Outbox + inbox retention: deletes published outbox events and inbox rows older than the retention.
 * Unpublished events are never deleted, whatever their age.
 */
export async function purgeEventRetention(
  db: Kysely<Database>,
  input: { now: Date; retentionDays: number; batchSize?: number; signal?: AbortSignal },
): Promise<{ outboxEvents: number; inboxRows: number }> {
  const cutoff = retentionCutoff(input.now, input.retentionDays);
  const batch = input.batchSize ?? 5_000;
  const outboxEvents = await deleteInBatches(input.signal, () =>
    db
      .deleteFrom('outbox_events')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outbox_events')
          .select('id')
          .where('published_at', 'is not', null)
          .where('published_at', '<', cutoff)
          .limit(batch),
      )
      .executeTakeFirst(),
  );
  const inboxRows = await deleteInBatches(input.signal, async () => {
    const { rows } = await sql<{ deleted: string }>`
      WITH gone AS (
        DELETE FROM inbox WHERE (consumer, event_id) IN (
          SELECT consumer, event_id FROM inbox WHERE processed_at < ${cutoff} LIMIT ${batch})
        RETURNING 1)
      SELECT count(*)::text AS deleted FROM gone`.execute(db);
    return { numDeletedRows: BigInt(rows[0]?.deleted ?? '0') };
  });
  return { outboxEvents, inboxRows };
}
