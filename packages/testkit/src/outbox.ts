import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { waitFor } from './wait.ts';

/** Marks outbox events unpublished, as an operator's replay does: the relay publishes them again. */
export async function unpublishEvents(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  await db
    .updateTable('outbox_events')
    .set({ published_at: null })
    .where('id', 'in', [...ids])
    .execute();
}

/** Waits until the relay has published every one of these outbox events (again). */
export async function waitUntilPublished(
  db: Kysely<Database>,
  ids: readonly string[],
  what = 'the relay to publish the events',
): Promise<void> {
  await waitFor(
    async () => {
      const unpublished = await db
        .selectFrom('outbox_events')
        .select('id')
        .where('id', 'in', [...ids])
        .where('published_at', 'is', null)
        .execute();
      return unpublished.length === 0;
    },
    { what },
  );
}
