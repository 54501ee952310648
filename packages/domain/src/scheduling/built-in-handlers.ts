import { z } from 'zod';
import { appendAudit } from '../audit/append.ts';
import { type AuditAnchor, auditIntegrityReport } from '../audit/verify.ts';
import { expireDraftDatasets } from '../datasets/expiry.ts';
import { purgeEventRetention } from '../events/retention.ts';
import { cleanupExpiredCredentials } from '../identity/credential-cleanup.ts';
import { recordPlatformEventInTransaction } from '../logging/platform.ts';
import { purgeLogRetention } from '../logging/retention.ts';
import type { ObjectStorage } from '../platform/object-storage.ts';
import { probeAimsHealth, startReconciliations } from '../workplace/health.ts';
import type { ScheduleHandlerContext, ScheduleHandlerDefinition } from './handlers.ts';

/**
 * The handlers of the built-in schedules (SPEC §8). Their schedules (names, cron, payloads) are
 * declared by the scheduler process (apps/scheduler/src/schedules.ts); the API accepts these names for
 * operator-made schedules too. The work itself belongs to the module whose tables it touches
 * (identity's credentials, the events backbone's outbox and inbox): these handlers only call it.
 */
export const BUILT_IN_HANDLERS = {
  credentialCleanup: 'maintenance.credential-cleanup',
  eventRetention: 'maintenance.event-retention',
  auditIntegrityReport: 'audit.integrity-report',
  logRetention: 'logs.retention',
  aimsHealth: 'workplace.aims-health',
  aimsReconciliation: 'workplace.aims-reconciliation',
  datasetDraftExpiry: 'datasets.expire-drafts',
} as const;

const ZDraftExpiryPayload = z.object({
  /** Drafts older than this are deleted with their assets (SPEC §5). */
  maxAgeHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(72),
  batchSize: z.number().int().min(1).max(1_000).default(100),
});

const ZRetentionPayload = z.object({
  retentionDays: z.number().int().min(1).max(3650).default(7),
  /** Rows per DELETE: short statements, short locks; the signal is checked between batches. */
  batchSize: z.number().int().min(100).max(100_000).default(5_000),
});

const ZLogRetentionPayload = ZRetentionPayload.extend({
  retentionDays: z.number().int().min(1).max(3650).default(30),
});

/**
 * The daily audit integrity report (SPEC §7): verifies every org's chain, anchored on the heads the
 * previous successful report recorded (kept in its run's result). A broken chain is logged at error
 * level and flagged in that org's own audit log (`audit.integrity_failed`, naming the first broken
 * seq), where its admins see it. The run succeeds either way: the report did its job.
 */
export async function runAuditIntegrityReport(ctx: ScheduleHandlerContext): Promise<Record<string, unknown>> {
  const anchors = await previousAnchors(ctx);
  const report = await auditIntegrityReport(ctx.db, { clock: ctx.clock, anchors });
  const broken = report.orgs.filter((org) => !org.ok);
  for (const org of broken) {
    if (org.ok) continue;
    ctx.logger.error(
      { orgId: org.orgId, firstBrokenSeq: org.firstBrokenSeq, reason: org.reason, detail: org.message },
      'audit integrity report: chain broken',
    );
    await ctx.db.transaction().execute(async (trx) => {
      await appendAudit(
        trx,
        {
          orgId: org.orgId,
          actorId: null,
          action: 'audit.integrity_failed',
          resourceType: 'audit',
          payload: { firstBrokenSeq: org.firstBrokenSeq, reason: org.reason, message: org.message },
        },
        { clock: ctx.clock },
      );
      // Logged as the platform's own failure: the built-in rule opens an incident for the org's
      // admins and the operators (docs/logging.md).
      await recordPlatformEventInTransaction(
        trx,
        { clock: ctx.clock },
        {
          orgId: org.orgId,
          source: 'platform.audit',
          level: 'fatal',
          message: `The audit integrity report found the chain broken at entry ${org.firstBrokenSeq}`,
          attributes: { firstBrokenSeq: org.firstBrokenSeq, reason: org.reason, detail: org.message },
        },
        { announce: true },
      );
    });
  }
  return {
    ok: report.ok,
    orgsChecked: report.orgs.length,
    durationMs: report.durationMs,
    broken: broken.map((org) =>
      org.ok
        ? { orgId: org.orgId }
        : { orgId: org.orgId, firstBrokenSeq: org.firstBrokenSeq, reason: org.reason },
    ),
    // The next report's anchors: every intact chain's head.
    anchors: report.orgs.flatMap((org) =>
      org.ok && org.headSeq > 0 ? [{ orgId: org.orgId, seq: org.headSeq, checksum: org.headChecksum }] : [],
    ),
  };
}

const ZStoredAnchors = z.object({
  anchors: z.array(z.object({ orgId: z.string(), seq: z.number().int(), checksum: z.string() })),
});

async function previousAnchors(ctx: ScheduleHandlerContext): Promise<Map<string, AuditAnchor[]>> {
  const last = await ctx.db
    .selectFrom('schedule_runs')
    .select('result')
    .where('schedule_id', '=', ctx.scheduleId)
    .where('status', '=', 'succeeded')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const parsed = ZStoredAnchors.safeParse(last?.result);
  const anchors = new Map<string, AuditAnchor[]>();
  if (!parsed.success) return anchors;
  for (const anchor of parsed.data.anchors) {
    anchors.set(anchor.orgId, [{ seq: anchor.seq, checksum: anchor.checksum }]);
  }
  return anchors;
}

/** Every built-in handler, for the scheduler's registry and the API's list of known handlers. */
export function builtInScheduleHandlers(
  options: {
    /** Where draft assets' bytes live; without it, draft expiry deletes rows only. */
    objectStorage?: ObjectStorage | null;
  } = {},
): ScheduleHandlerDefinition[] {
  return [
    {
      name: BUILT_IN_HANDLERS.credentialCleanup,
      description: 'Deletes expired or revoked refresh tokens, verification codes and reset tokens',
      payload: ZRetentionPayload,
      run: async (ctx) => {
        const { retentionDays, batchSize } = ZRetentionPayload.parse(ctx.payload);
        return cleanupExpiredCredentials(ctx.db, {
          now: ctx.clock.now(),
          retentionDays,
          batchSize,
          signal: ctx.signal,
        });
      },
    },
    {
      name: BUILT_IN_HANDLERS.eventRetention,
      description: 'Deletes published outbox events and inbox rows past the retention',
      payload: ZRetentionPayload,
      run: async (ctx) => {
        const { retentionDays, batchSize } = ZRetentionPayload.parse(ctx.payload);
        return purgeEventRetention(ctx.db, {
          now: ctx.clock.now(),
          retentionDays,
          batchSize,
          signal: ctx.signal,
        });
      },
    },
    {
      name: BUILT_IN_HANDLERS.auditIntegrityReport,
      description: "Verifies every org's audit chain and flags the first broken entry",
      payload: z.object({}),
      run: runAuditIntegrityReport,
    },
    {
      name: BUILT_IN_HANDLERS.logRetention,
      description: 'Deletes log events past the retention and old alert counters',
      payload: ZLogRetentionPayload,
      run: async (ctx) => {
        const { retentionDays, batchSize } = ZLogRetentionPayload.parse(ctx.payload);
        return purgeLogRetention(ctx.db, {
          now: ctx.clock.now(),
          retentionDays,
          batchSize,
          signal: ctx.signal,
        });
      },
    },
    {
      name: BUILT_IN_HANDLERS.aimsHealth,
      description: "Checks every connected org's AIMS; pauses an org's sync while its AIMS is down",
      payload: z.object({}),
      run: async (ctx) => {
        const results = await probeAimsHealth({
          db: ctx.db,
          realtime: ctx.realtime,
          log: ctx.logger,
          signal: ctx.signal,
        });
        return {
          checked: results.length,
          down: results.filter((result) => result.status === 'down').length,
          changed: results
            .filter((result) => result.changed)
            .map((result) => ({ orgId: result.orgId, status: result.status })),
        };
      },
    },
    {
      name: BUILT_IN_HANDLERS.aimsReconciliation,
      description: 'Starts a full AIMS sync of every connected org that is up',
      payload: z.object({}),
      run: async (ctx) => startReconciliations(ctx.db),
    },
    {
      name: BUILT_IN_HANDLERS.datasetDraftExpiry,
      description: 'Deletes draft datasets never published, with their uploaded assets',
      payload: ZDraftExpiryPayload,
      run: async (ctx) => {
        const { maxAgeHours, batchSize } = ZDraftExpiryPayload.parse(ctx.payload);
        const result = await expireDraftDatasets(ctx.db, {
          now: ctx.clock.now(),
          maxAgeHours,
          batchSize,
          signal: ctx.signal,
          log: ctx.logger,
          ...(options.objectStorage ? { storage: options.objectStorage } : {}),
        });
        return { ...result };
      },
    },
  ];
}
