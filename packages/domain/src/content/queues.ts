import { z } from 'zod';
import { defineEventQueue, defineQueue } from '../events/queue-definition.ts';
import { ImportBatchRequested } from '../imports/import-content.ts';
import { CONTENT_EVENTS } from './events.ts';

export const SEARCH_INDEX_QUEUE = 'search.index';

/**
 * `search.index` (SPEC §4, docs/content.md "Indexing"): every content event becomes one job, keyed by
 * the content id (`ordered`: pg-boss key_strict_fifo), so one content's jobs never run side by side
 * and never out of order. The handler reads the content row as it is when the job runs and skips the
 * engine when the index already holds that version, so a burst of events for one content collapses
 * into one index write, and a late or repeated event can never bring back a deleted or unpublished
 * item. Retries back off from 1 s to a minute; the tenth failure goes to the dead letter (Ops).
 */
export const searchIndexQueue = defineEventQueue({
  name: SEARCH_INDEX_QUEUE,
  events: CONTENT_EVENTS,
  ordered: true,
  retryLimit: 10,
  retryDelaySeconds: 1,
  retryDelayMaxSeconds: 60,
  expireInSeconds: 60,
});

export const SEARCH_REINDEX_QUEUE = 'search.reindex';

/**
 * `search.reindex` (`discovery.reindex`): one rebuild of the whole index, in batches, with progress
 * on the job's realtime events. Never retried automatically: an operator starts another.
 */
export const searchReindexQueue = defineQueue({
  name: SEARCH_REINDEX_QUEUE,
  payload: z.object({ requestedBy: z.uuid(), orgId: z.uuid() }),
  retryLimit: 0,
  expireInSeconds: 3_600,
});

export const IMPORTS_BULK_QUEUE = 'imports.bulk';

/**
 * `imports.bulk` ← ImportBatchRequested: works through one bulk import, address by address, each line
 * committed as it is done (a retry resumes after the last). Providers down for a moment fail single
 * lines (502), not the batch; a batch fails only on an unexpected error, retried three times.
 */
export const importsBulkQueue = defineEventQueue({
  name: IMPORTS_BULK_QUEUE,
  events: [ImportBatchRequested],
  retryLimit: 3,
  retryDelaySeconds: 5,
  retryDelayMaxSeconds: 120,
  // 500 addresses at up to 5 s each, with room to spare.
  expireInSeconds: 3_600,
});

export const CONTENT_QUEUES = [searchIndexQueue, searchReindexQueue, importsBulkQueue] as const;
