import type { AtriumQueueCatalogue } from '@atrium/domain';
import type { WorkplaceDeps } from '@atrium/domain/workplace/connection';
import { runFullSync } from '@atrium/domain/workplace/full-sync';
import { noticeSyncFailed, runArticleSyncJob, SYNC_ATTEMPTS } from '@atrium/domain/workplace/sync';
import type { HandlerContext, QueueHandler } from '../job-runner.ts';

function deps({ db, logger, services }: HandlerContext): WorkplaceDeps {
  return { db, realtime: services.realtime, log: logger, ...(services.aims ? { aims: services.aims } : {}) };
}

/**
 * `workplace.sync-space` ← SpaceArticleChanged | SpaceAssignmentChanged: brings one space's article
 * up to date from the space as it is now (docs/workplace.md). A job created by an assignment has the
 * assignment budget (10 attempts), one created by a space change the space budget (5).
 */
export const handleSpaceSync: QueueHandler<AtriumQueueCatalogue['workplace.sync-space']> = async (
  event,
  context,
) => {
  if (!event.orgId) return { outcome: 'no-org' };
  const budget = event.type === 'SpaceAssignmentChanged' ? SYNC_ATTEMPTS.assignment : SYNC_ATTEMPTS.space;
  return runArticleSyncJob(
    deps(context),
    { orgId: event.orgId, kind: 'space', externalId: event.payload.externalId, signal: context.job.signal },
    { attempt: context.job.retryCount + 1, budget },
  );
};

/** `workplace.sync-room` ← RoomArticleChanged: the room's article and its label page. */
export const handleRoomSync: QueueHandler<AtriumQueueCatalogue['workplace.sync-room']> = async (
  event,
  context,
) => {
  if (!event.orgId) return { outcome: 'no-org' };
  return runArticleSyncJob(
    deps(context),
    { orgId: event.orgId, kind: 'room', externalId: event.payload.externalId, signal: context.job.signal },
    { attempt: context.job.retryCount + 1, budget: SYNC_ATTEMPTS.room },
  );
};

/** `workplace.sync-failed-notice` ← WorkplaceSyncFailed: admins' notice (rate-limited) and the incident. */
export const handleSyncFailed: QueueHandler<AtriumQueueCatalogue['workplace.sync-failed-notice']> = async (
  event,
  { db, logger, services, job },
) =>
  noticeSyncFailed(
    { db, realtime: services.realtime, log: logger, consumer: job.queue, webBaseUrl: services.webBaseUrl },
    event,
  );

/** `workplace.full-sync` ← FullSyncRequested: one full sync run. */
export const handleFullSync: QueueHandler<AtriumQueueCatalogue['workplace.full-sync']> = async (
  event,
  context,
) => {
  if (!event.orgId) return { outcome: 'no-org' };
  const run = await runFullSync(deps(context), {
    orgId: event.orgId,
    runId: event.payload.runId,
    signal: context.job.signal,
  });
  return {
    runId: run.id,
    status: run.status,
    uploaded: run.uploaded,
    conflicts: run.conflicts,
    errors: run.errors,
  };
};
