import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/** The datasets module's outbox events (SPEC §5). Ids and facts only. */

export const DATASET_AGGREGATE = 'dataset';

/** A draft dataset was created by a publisher. */
export const DatasetDraftCreated = defineEvent(
  'DatasetDraftCreated',
  z.object({ datasetId: z.uuid(), createdBy: z.uuid() }),
);

/** A manifest was published: the dataset's items are now visible to every reader of the org. */
export const DatasetPublished = defineEvent(
  'DatasetPublished',
  z.object({
    datasetId: z.uuid(),
    publishedBy: z.uuid(),
    itemCount: z.number().int().min(0),
    publishedAt: z.iso.datetime({ offset: true }),
  }),
);

/** A draft was never published and expired; its assets' bytes were deleted with it. */
export const DatasetDraftExpired = defineEvent(
  'DatasetDraftExpired',
  z.object({ datasetId: z.uuid(), assetCount: z.number().int().min(0) }),
);

/** The realtime event type of publish progress (sent to the publisher only). */
export const PUBLISH_PROGRESS_EVENT = 'datasets.publishProgress';
