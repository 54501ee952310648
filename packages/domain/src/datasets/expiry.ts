import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { writeOutboxEvent } from '../events/outbox.ts';
import type { LogSink } from '../platform/logger.ts';
import type { ObjectStorage } from '../platform/object-storage.ts';
import { DATASET_AGGREGATE, DatasetDraftExpired } from './events.ts';

export interface ExpireDraftsResult {
  expired: number;
  assets: number;
  /** Objects whose deletion failed (left for the store's own lifecycle rules; they are unreferenced). */
  objectDeleteFailures: number;
}

/**
 * The draft-dataset expiry (SPEC §5 "drafts expire", a built-in daily schedule): drafts created more
 * than `maxAgeHours` ago are deleted with their assets (rows in one transaction per batch, with a
 * `DatasetDraftExpired` event each), then the assets' bytes are deleted from storage. A draft being
 * published at that moment holds its row lock; `SKIP LOCKED` leaves it for the next run.
 */
export async function expireDraftDatasets(
  db: Kysely<Database>,
  options: {
    now: Date;
    maxAgeHours: number;
    storage?: ObjectStorage;
    batchSize?: number;
    signal?: AbortSignal;
    log?: LogSink;
  },
): Promise<ExpireDraftsResult> {
  const cutoff = new Date(options.now.getTime() - options.maxAgeHours * 3_600_000);
  const batchSize = options.batchSize ?? 100;
  const result: ExpireDraftsResult = { expired: 0, assets: 0, objectDeleteFailures: 0 };
  for (;;) {
    options.signal?.throwIfAborted();
    const keys = await db.transaction().execute(async (trx) => {
      const drafts = await trx
        .selectFrom('datasets')
        .select(['id', 'org_id'])
        .where('status', '=', 'draft')
        .where('created_at', '<', cutoff)
        .orderBy('created_at')
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (drafts.length === 0) return null;
      const ids = drafts.map((draft) => draft.id);
      const assets = await trx
        .selectFrom('assets')
        .select(['dataset_id', 'storage_key'])
        .where('dataset_id', 'in', ids)
        .execute();
      await trx.deleteFrom('datasets').where('id', 'in', ids).execute();
      for (const draft of drafts) {
        await writeOutboxEvent(trx, {
          orgId: draft.org_id,
          type: DatasetDraftExpired,
          aggregateType: DATASET_AGGREGATE,
          aggregateId: draft.id,
          payload: {
            datasetId: draft.id,
            assetCount: assets.filter((asset) => asset.dataset_id === draft.id).length,
          },
        });
      }
      result.expired += drafts.length;
      result.assets += assets.length;
      return { keys: assets.map((asset) => asset.storage_key), full: drafts.length === batchSize };
    });
    if (!keys) break;
    if (options.storage) {
      for (const key of keys.keys) {
        try {
          await options.storage.delete(key);
        } catch (error) {
          result.objectDeleteFailures += 1;
          options.log?.warn({ err: error }, 'draft expiry: could not delete an object');
        }
      }
    }
    if (!keys.full) break;
  }
  return result;
}
