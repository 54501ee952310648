/**
 * Runs `deleteBatch` until it deletes nothing, and returns how many rows went. Retention jobs delete in
 * batches (short statements, short locks) and check `signal` between them; a batch in flight when the
 * work is interrupted is cancelled by whoever runs it (the scheduler cancels an aborted run's SQL).
 */
export async function deleteInBatches(
  signal: AbortSignal | undefined,
  deleteBatch: () => Promise<{ numDeletedRows: bigint }>,
): Promise<number> {
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const deleted = Number((await deleteBatch()).numDeletedRows);
    total += deleted;
    if (deleted === 0) return total;
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The instant `retentionDays` before `now`: rows older than it are past their retention. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * DAY_MS);
}
