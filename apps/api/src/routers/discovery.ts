import { SEARCH_REINDEX_QUEUE } from '@atrium/domain/content/queues';
import {
  getLibraryItem,
  searchLibrary,
  ZDiscoveryGetInput,
  ZDiscoverySearchInput,
} from '@atrium/domain/discovery/discover';
import type { InnerContext } from '../context.ts';
import { maybeSessionProcedure } from '../optional-session.ts';
import { operatorProcedure, publicReadLimits, router } from '../trpc.ts';

function discoveryDeps(ctx: InnerContext) {
  return { db: ctx.services.db, cache: ctx.services.content.cache, search: ctx.services.content.search };
}

/**
 * Anyone may read the Library, so every read is limited per caller (docs/security.md): per client
 * address when anonymous, per user when signed in; calls per minute and calls at once.
 */
const limits = publicReadLimits('discovery', (env) => ({
  anonymousPerMinute: env.DISCOVERY_ANONYMOUS_PER_MINUTE,
  memberPerMinute: env.DISCOVERY_MEMBER_PER_MINUTE,
  concurrentPerCaller: env.DISCOVERY_CONCURRENT_PER_CALLER,
}));
const libraryRead = maybeSessionProcedure.use(limits.perMinute).use(limits.atOnce);

/** `discovery.*` (SPEC §4, docs/content.md): the public library's search, and its rebuild. */
export const discoveryRouter = router({
  search: libraryRead
    .input(ZDiscoverySearchInput)
    .query(({ ctx, input }) => searchLibrary(discoveryDeps(ctx), ctx.session, input)),
  get: libraryRead
    .input(ZDiscoveryGetInput)
    .query(({ ctx, input }) => getLibraryItem(discoveryDeps(ctx), ctx.session, input)),
  /**
   * Rebuilds the whole index in the background (platform operators): a `search.reindex` job; its
   * progress reaches the caller as `search.reindex.progress` events, and Ops shows the job.
   */
  reindex: operatorProcedure.mutation(async ({ ctx }) => {
    const boss = await ctx.services.ops.boss();
    const jobId = await boss.send(SEARCH_REINDEX_QUEUE, {
      requestedBy: ctx.session.userId,
      orgId: ctx.session.orgId,
    });
    return { jobId };
  }),
});
