import {
  inboxUnreadCount,
  listInbox,
  markAllInboxRead,
  markInboxRead,
  ZInboxListInput,
  ZInboxMarkReadInput,
} from '@atrium/domain/notifications/inbox';
import { authedProcedure, router } from '../trpc.ts';
import { notificationsDeps } from './notifications.ts';

/**
 * The caller's own in-app notifications (SPEC §6). New ones also arrive live as `notification.new`
 * on `events.subscribe`.
 */
export const inboxRouter = router({
  list: authedProcedure
    .input(ZInboxListInput.optional())
    .query(({ ctx, input }) => listInbox(notificationsDeps(ctx.services), ctx.session, input ?? {})),
  markRead: authedProcedure
    .input(ZInboxMarkReadInput)
    .mutation(({ ctx, input }) => markInboxRead(notificationsDeps(ctx.services), ctx.session, input)),
  markAllRead: authedProcedure.mutation(({ ctx }) =>
    markAllInboxRead(notificationsDeps(ctx.services), ctx.session),
  ),
  unreadCount: authedProcedure.query(({ ctx }) =>
    inboxUnreadCount(notificationsDeps(ctx.services), ctx.session),
  ),
});
