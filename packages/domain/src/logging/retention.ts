import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { deleteInBatches, retentionCutoff } from '../platform/delete-in-batches.ts';

/**
 * Log retention (docs/logging.md): events older than `retentionDays` (by their time, `at`) go in
 * batches, found through the BRIN on `at`; the alert counters older than a day (longer than any
 * window) go too. Run daily by the built-in `logs.retention` schedule.
 */
export async function purgeLogRetention(
  db: Kysely<Database>,
  options: { now: Date; retentionDays: number; batchSize: number; signal?: AbortSignal },
): Promise<{ events: number; counters: number }> {
  const cutoff = retentionCutoff(options.now, options.retentionDays);
  const events = await deleteInBatches(options.signal, async () => {
    const result = await sql`
      DELETE FROM log_events WHERE id IN (
        SELECT id FROM log_events WHERE at < ${cutoff}::timestamptz LIMIT ${options.batchSize}
      )`.execute(db);
    return { numDeletedRows: result.numAffectedRows ?? 0n };
  });
  const counterCutoff = retentionCutoff(options.now, 1);
  const counters = await deleteInBatches(options.signal, async () => {
    const result = await sql`
      DELETE FROM alert_rule_counts WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM alert_rule_counts WHERE bucket < ${counterCutoff}::timestamptz LIMIT ${options.batchSize}
      ))`.execute(db);
    return { numDeletedRows: result.numAffectedRows ?? 0n };
  });
  return { events, counters };
}
