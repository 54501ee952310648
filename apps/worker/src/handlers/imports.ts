import type { AtriumQueueCatalogue } from '@atrium/domain';
import { runImportBatch } from '@atrium/domain/imports/import-content';
import type { QueueHandler } from '../job-runner.ts';

/**
 * `imports.bulk` ← ImportBatchRequested: imports the batch's addresses one by one; each result line
 * reaches the requester live as an `imports.progress` event (docs/imports.md).
 */
export const handleImportBatch: QueueHandler<AtriumQueueCatalogue['imports.bulk']> = async (
  event,
  context,
) => {
  const orgId = event.orgId;
  if (!orgId) return null;
  const { services } = context;
  const result = await runImportBatch(
    { db: context.db, providers: services.providers },
    { orgId, batchId: event.payload.batchId },
    ({ userId, ...progress }) =>
      services.realtime
        .publish({
          orgId,
          type: 'imports.progress',
          payload: { batchId: event.payload.batchId, ...progress },
          audience: { userIds: [userId] },
        })
        .catch((error: unknown) => context.logger.warn({ err: error }, 'imports.progress not published')),
  );
  return result ? { status: result.status, done: result.done } : null;
};
