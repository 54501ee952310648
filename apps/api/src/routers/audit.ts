import { listAudit, verifyAuditChain, ZListAuditInput } from '@atrium/domain/audit/index';
import { heavy, permissionProcedure, router } from '../trpc.ts';

/**
 * The audit log of the caller's org (SPEC §7). Both procedures need `audit.read` and only ever see
 * `ctx.session.orgId`. Entries carry `seq` as a number (per-org sequences stay far below 2^53) and
 * `at` as a Date (superjson).
 */
export const auditRouter = router({
  /** Entries newest first; filters by action, actor, resource and time window; cursor paging. */
  list: permissionProcedure('audit.read')
    .input(ZListAuditInput)
    .query(({ ctx, input }) => listAudit(ctx.services.db, ctx.session.orgId, input)),

  /**
   * Recomputes the org's chain and names the first broken seq, if any. A mutation, not a query: it
   * reads the whole chain, so clients run it when asked to rather than on every refetch.
   */
  verify: permissionProcedure('audit.read')
    .use(heavy)
    .mutation(({ ctx }) => verifyAuditChain(ctx.services.db, ctx.session.orgId)),
});
