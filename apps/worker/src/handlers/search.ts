import type { AtriumQueueCatalogue } from '@atrium/domain';
import { indexContent, reindexAll } from '@atrium/domain/discovery/indexing';
import type { QueueHandler } from '../job-runner.ts';

/**
 * `search.index` ← every content event: brings the content's search document in line with its row
 * as it is now (docs/content.md "Indexing"). Publishes `content.indexed` to the org's staff, and
 * observes the lag from the content's last commit to now.
 */
export const handleSearchIndex: QueueHandler<AtriumQueueCatalogue['search.index']> = async (
  event,
  context,
) => {
  const { services } = context;
  const orgId = event.orgId;
  if (!orgId) return { outcome: 'ignored' };
  const result = await indexContent(
    { db: context.db, search: services.search },
    { orgId, contentId: event.payload.contentId },
  );
  if (result.outcome !== 'unchanged') {
    const since = result.updatedAt ?? new Date(event.occurredAt);
    services.indexLag.observe(
      { outcome: result.outcome },
      Math.max(0, (Date.now() - since.getTime()) / 1000),
    );
    await services.realtime
      .publish({
        orgId,
        type: 'content.indexed',
        payload: { contentId: event.payload.contentId, outcome: result.outcome },
        audience: { permission: 'content.write' },
      })
      .catch((error: unknown) => context.logger.warn({ err: error }, 'content.indexed not published'));
  }
  return result.outcome;
};

/**
 * `search.reindex` ← `discovery.reindex`: rebuilds the whole index behind searches; progress goes to
 * the requester as `search.reindex.progress` realtime events, one per batch.
 */
export const handleSearchReindex: QueueHandler<AtriumQueueCatalogue['search.reindex']> = async (
  payload,
  context,
) => {
  const { services } = context;
  const publish = (type: string, body: object) =>
    services.realtime
      .publish({ orgId: payload.orgId, type, payload: body, audience: { userIds: [payload.requestedBy] } })
      .catch((error: unknown) => context.logger.warn({ err: error }, `${type} not published`));
  const result = await reindexAll({ db: context.db, search: services.search }, (progress) =>
    publish('search.reindex.progress', { jobId: context.job.id, ...progress }),
  );
  await publish('search.reindex.completed', { jobId: context.job.id, ...result });
  context.logger.info(result, 'search index rebuilt');
  return result;
};
