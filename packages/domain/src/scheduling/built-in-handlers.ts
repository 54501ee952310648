import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { appendAudit } from '../audit/append.ts';
import { type AuditAnchor, auditIntegrityReport } from '../audit/verify.ts';
import type { ScheduleHandlerContext, ScheduleHandlerDefinition } from './handlers.ts';

/**
 * The handlers of the built-in schedules (SPEC §8). Their schedules (names, cron, payloads) are
 * declared by the scheduler process (apps/scheduler/src/schedules.ts); the API accepts these names for
 * operator-made schedules too.
 */
export const BUILT_IN_HANDLERS = {
  credentialCleanup: 'maintenance.credential-cleanup',
  eventRetention: 'maintenance.event-retention',
  auditIntegrityReport: 'audit.integrity-report',
} as const;

const ZRetentionPayload = z.object({
  retentionDays: z.number().int().min(1).max(3650).default(7),
  /** Rows per DELETE: short statements, short locks; the signal is checked between batches. */
  batchSize: z.number().int().min(100).max(100_000).default(5_000),
});

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes credentials nobody can use any more, once they are older than the retention: refresh tokens
 * expired or revoked, email verification codes expired or consumed, password reset tokens expired or
 * used. Rotated-but-live refresh tokens stay (reuse detection needs them until they expire).
 */
export async function cleanupExpiredCredentials(
  db: Kysely<Database>,
  input: { now: Date; retentionDays: number; batchSize?: number; signal?: AbortSignal },
): Promise<{ refreshTokens: number; emailVerificationCodes: number; passwordResetTokens: number }> {
  const cutoff = new Date(input.now.getTime() - input.retentionDays * DAY_MS);
  const batch = input.batchSize ?? 5_000;
  const refreshTokens = await deleteInBatches(input.signal, () =>
    db
      .deleteFrom('refresh_tokens')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('refresh_tokens')
          .select('id')
          .where((w) => w.or([w('expires_at', '<', cutoff), w('revoked_at', '<', cutoff)]))
          .limit(batch),
      )
      .executeTakeFirst(),
  );
  const emailVerificationCodes = await deleteInBatches(input.signal, () =>
    db
      .deleteFrom('email_verification_codes')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('email_verification_codes')
          .select('id')
          .where((w) => w.or([w('expires_at', '<', cutoff), w('consumed_at', '<', cutoff)]))
          .limit(batch),
      )
      .executeTakeFirst(),
  );
  const passwordResetTokens = await deleteInBatches(input.signal, () =>
    db
      .deleteFrom('password_reset_tokens')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('password_reset_tokens')
          .select('id')
          .where((w) => w.or([w('expires_at', '<', cutoff), w('used_at', '<', cutoff)]))
          .limit(batch),
      )
      .executeTakeFirst(),
  );
  return { refreshTokens, emailVerificationCodes, passwordResetTokens };
}

/**
 * Outbox + inbox retention: deletes published outbox events and inbox rows older than the retention.
 * Unpublished events are never deleted, whatever their age.
 */
export async function purgeEventRetention(
  db: Kysely<Database>,
  input: { now: Date; retentionDays: number; batchSize?: number; signal?: AbortSignal },
): Promise<{ outboxEvents: number; inboxRows: number }> {
  const cutoff = new Date(input.now.getTime() - input.retentionDays * DAY_MS);
  const batch = input.batchSize ?? 5_000;
  const outboxEvents = await deleteInBatches(input.signal, () =>
    db
      .deleteFrom('outbox_events')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outbox_events')
          .select('id')
          .where('published_at', 'is not', null)
          .where('published_at', '<', cutoff)
          .limit(batch),
      )
      .executeTakeFirst(),
  );
  const inboxRows = await deleteInBatches(input.signal, async () => {
    const { rows } = await sql<{ deleted: string }>`
      WITH gone AS (
        DELETE FROM inbox WHERE (consumer, event_id) IN (
          SELECT consumer, event_id FROM inbox WHERE processed_at < ${cutoff} LIMIT ${batch})
        RETURNING 1)
      SELECT count(*)::text AS deleted FROM gone`.execute(db);
    return { numDeletedRows: BigInt(rows[0]?.deleted ?? '0') };
  });
  return { outboxEvents, inboxRows };
}

async function deleteInBatches(
  signal: AbortSignal | undefined,
  deleteBatch: () => Promise<{ numDeletedRows: bigint }>,
): Promise<number> {
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const deleted = Number((await deleteBatch()).numDeletedRows);
    total += deleted;
    if (deleted === 0) return total;
  }
}

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
    await ctx.db.transaction().execute((trx) =>
      appendAudit(
        trx,
        {
          orgId: org.orgId,
          actorId: null,
          action: 'audit.integrity_failed',
          resourceType: 'audit',
          payload: { firstBrokenSeq: org.firstBrokenSeq, reason: org.reason, message: org.message },
        },
        { clock: ctx.clock },
      ),
    );
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
export function builtInScheduleHandlers(): ScheduleHandlerDefinition[] {
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
  ];
}
