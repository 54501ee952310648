import {
  type InboxDeps,
  inboxUnreadCount,
  listInbox,
  markAllInboxRead,
  markInboxRead,
  ZInboxListInput,
  ZInboxMarkReadInput,
} from '@atrium/domain/notifications/inbox';
import type { InnerContext } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';
import { notificationsDeps } from './notifications.ts';

/** The inbox's writes announce `notification.read` through this replica's publisher. */
function inboxDeps(ctx: Pick<InnerContext, 'services' | 'logger'>): InboxDeps {
  return { ...notificationsDeps(ctx.services), realtime: ctx.services.realtime.publisher, log: ctx.logger };
}

/**
 * The caller's own in-app notifications (SPEC §6). New ones also arrive live as `notification.new`
 * on `events.subscribe`; marking read announces `notification.read` to the caller's other sessions.
 */
export const inboxRouter = router({
  list: authedProcedure
    .input(ZInboxListInput.optional())
    .query(({ ctx, input }) => listInbox(notificationsDeps(ctx.services), ctx.session, input ?? {})),
  markRead: authedProcedure
    .input(ZInboxMarkReadInput)
    .mutation(({ ctx, input }) => markInboxRead(inboxDeps(ctx), ctx.session, input)),
  markAllRead: authedProcedure.mutation(({ ctx }) => markAllInboxRead(inboxDeps(ctx), ctx.session)),
  unreadCount: authedProcedure.query(({ ctx }) =>
    inboxUnreadCount(notificationsDeps(ctx.services), ctx.session),
  ),
});
