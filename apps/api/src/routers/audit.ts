import type { Session } from '@atrium/domain/access/session';
import {
  auditFilterOptions,
  exportAuditCsv,
  listAudit,
  PLATFORM_AUDIT_CHAIN,
  verifyAuditChain,
  ZExportAuditInput,
  ZListAuditInput,
} from '@atrium/domain/audit/index';
import { ForbiddenError } from '@atrium/domain/errors';
import { z } from 'zod';
import { heavy, permissionProcedure, router } from '../trpc.ts';

/**
 * The audit log (SPEC §7). Every procedure needs `audit.read` and reads the caller's org chain
 * (`ctx.session.orgId`), or — `chain: 'platform'`, platform operators only — the platform chain, where
 * operators' own actions are recorded (SPEC §8). Entries carry `seq` as a number (per-org sequences
 * stay far below 2^53), `at` as a Date (superjson) and the actor's name.
 */
const ZChain = z.enum(['org', 'platform']).default('org');

function chainOf(session: Session, chain: 'org' | 'platform'): string {
  if (chain === 'org') return session.orgId;
  if (session.platformRole !== 'operator')
    throw new ForbiddenError('The platform audit log is for operators');
  return PLATFORM_AUDIT_CHAIN;
}

const read = permissionProcedure('audit.read');

export const auditRouter = router({
  /** Entries newest first; filters by action, actor, resource and time window; cursor paging. */
  list: read
    .input(ZListAuditInput.extend({ chain: ZChain }))
    .query(({ ctx, input: { chain, ...input } }) =>
      listAudit(ctx.services.db, chainOf(ctx.session, chain), input),
    ),

  /** The actions and the people the chain holds: the filter lists. */
  filterOptions: read
    .input(z.object({ chain: ZChain }).optional())
    .query(({ ctx, input }) =>
      auditFilterOptions(ctx.services.db, chainOf(ctx.session, input?.chain ?? 'org')),
    ),

  /** The filtered entries as CSV (at most 10 000; `truncated` says when there were more). */
  exportCsv: read
    .use(heavy)
    .input(ZExportAuditInput.extend({ chain: ZChain }))
    .mutation(({ ctx, input: { chain, ...input } }) =>
      exportAuditCsv(ctx.services.db, chainOf(ctx.session, chain), input),
    ),

  /**
   * Recomputes the chain and names the first broken seq, if any. A mutation, not a query: it reads
   * the whole chain, so clients run it when asked to rather than on every refetch.
   */
  verify: read
    .use(heavy)
    .input(z.object({ chain: ZChain }).optional())
    .mutation(({ ctx, input }) =>
      verifyAuditChain(ctx.services.db, chainOf(ctx.session, input?.chain ?? 'org')),
    ),
});
