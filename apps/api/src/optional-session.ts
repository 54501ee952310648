import { assertNoPendingPasswordChange, type Session } from '@atrium/domain/access/session';
import { publicProcedure } from './trpc.ts';

/**
 * For public reads that show more to members (the Library: published content for everyone, drafts
 * for the org's staff and their authors): a valid bearer token sets `ctx.session`, no token leaves it
 * null, and a bad or stale token is refused as on every signed-in procedure (401, the client refreshes).
 */
export const maybeSessionProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const session: Session | null = ctx.session ?? (await ctx.services.authenticate(ctx.credentials));
  if (session) assertNoPendingPasswordChange(session);
  return next({ ctx: { ...ctx, session } });
});
