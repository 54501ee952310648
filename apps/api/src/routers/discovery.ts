import { SEARCH_REINDEX_QUEUE } from '@atrium/domain/content/queues';
import {
  getLibraryItem,
  searchLibrary,
  ZDiscoveryGetInput,
  ZDiscoverySearchInput,
} from '@atrium/domain/discovery/discover';
import type { InnerContext } from '../context.ts';
import { maybeSessionProcedure } from '../optional-session.ts';
import { operatorProcedure, router } from '../trpc.ts';

function discoveryDeps(ctx: InnerContext) {
  return { db: ctx.services.db, cache: ctx.services.content.cache, search: ctx.services.content.search };
}

/** `discovery.*` (SPEC §4, docs/content.md): the public library's search, and its rebuild. */
export const discoveryRouter = router({
  search: maybeSessionProcedure
    .input(ZDiscoverySearchInput)
    .query(({ ctx, input }) => searchLibrary(discoveryDeps(ctx), ctx.session, input)),
  get: maybeSessionProcedure
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
