import type { AtriumQueueCatalogue } from '@atrium/domain';
import { applyRoleGrant, notifyCreatorApplication } from '@atrium/domain/creators/consumers';
import type { HandlerContext, QueueHandler } from '../job-runner.ts';

function creatorDeps({ db, logger, services, job }: HandlerContext) {
  return {
    db,
    authzCache: services.authzCache,
    realtime: services.realtime,
    log: logger,
    consumer: job.queue,
    webBaseUrl: services.webBaseUrl,
  };
}

/** `creators.roles` ← UserRolesChanged: the add-only role grant of an approved application (SPEC §3). */
export const handleUserRolesChanged: QueueHandler<AtriumQueueCatalogue['creators.roles']> = async (
  event,
  context,
) => {
  const result = await applyRoleGrant(creatorDeps(context), event);
  context.logger.debug({ userId: event.payload.userId, result }, 'role grant applied');
  return result;
};

/** `creators.notifications` ← CreatorApplication{Submitted,Approved,Rejected}: the notices they cause. */
export const handleCreatorApplicationEvent: QueueHandler<
  AtriumQueueCatalogue['creators.notifications']
> = async (event, context) => {
  const result = await notifyCreatorApplication(creatorDeps(context), event);
  context.logger.debug({ type: event.type, result }, 'creator notices queued');
  return result;
};
