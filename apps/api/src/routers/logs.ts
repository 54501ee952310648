import { ForbiddenError } from '@atrium/domain/errors';
import {
  ingestLogEvent,
  ingestLogEvents,
  ZIngestBulkInput,
  ZIngestInput,
} from '@atrium/domain/logging/ingest';
import { queryLogs, ZLogQueryInput } from '@atrium/domain/logging/query';
import { ingestRateLimited, keyOrPermissionProcedure } from '../key-procedures.ts';
import { heavy, router } from '../trpc.ts';

/**
 * Logs (SPEC §7, docs/logging.md). Ingest takes an API key with the `logs.ingest` scope (rate-limited
 * per key); query takes a key with `logs.read` or a member holding `logs.read`. Both act on the
 * caller's org only.
 */
export const logsRouter = router({
  ingest: ingestRateLimited
    .input(ZIngestInput)
    .mutation(({ ctx, input }) =>
      ingestLogEvent(
        { db: ctx.services.db },
        { orgId: ctx.caller.orgId, apiKeyId: ctx.caller.apiKeyId },
        input,
      ),
    ),
  /** ≤ 1,000 events; the valid ones are stored, the refused ones listed by index. */
  ingestBulk: ingestRateLimited
    .input(ZIngestBulkInput)
    .mutation(({ ctx, input }) =>
      ingestLogEvents(
        { db: ctx.services.db },
        { orgId: ctx.caller.orgId, apiKeyId: ctx.caller.apiKeyId },
        input.events,
      ),
    ),
  query: keyOrPermissionProcedure('logs.read', 'logs.read')
    .use(heavy)
    .input(ZLogQueryInput.optional())
    .query(({ ctx, input }) => {
      const platform = input?.platform === true;
      if (platform && ctx.session?.platformRole !== 'operator') throw new ForbiddenError('Operators only');
      return queryLogs(ctx.services.db, { orgId: platform ? null : ctx.caller.orgId }, input ?? {});
    }),
});
