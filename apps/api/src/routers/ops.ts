import type { Session } from '@atrium/domain/access/session';
import {
  actOnJobs,
  BULK_ACTIONS,
  cancelJob,
  deleteJob,
  discardAllDeadLetters,
  getJob,
  getOpsKpis,
  JOB_STATES,
  listInboxFailures,
  listJobs,
  listOpsQueues,
  listOutbox,
  listProcesses,
  type OpsActor,
  type OpsDeps,
  type OpsScope,
  pauseQueue,
  platformHealth,
  queueHistories,
  queueHistory,
  redriveAll,
  redriveJob,
  replayOutboxEvent,
  resumeQueue,
  retryAllFailed,
  retryJob,
  runJobNow,
  ZBulkJobIds,
} from '@atrium/domain/ops/index';
import { ZCursorField, ZDate } from '@atrium/domain/platform/input-blocks';
import { runHealthChecks } from '@atrium/observability';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { heavy, operatorProcedure, permissionProcedure, router } from '../trpc.ts';

/**
 * The Ops console (SPEC §8, docs/ops.md). Platform operators see and act on everything; an org admin
 * holding `ops.read` / `ops.manage` sees and acts on their org's share only (jobs whose payload
 * carries their `orgId`, their outbox rows). Queue-level controls are the operators' (the domain
 * refuses them to an org scope with 403). Every action is audited by the use case.
 */

/** Operator → the whole platform; anyone else → their own org. */
function opsScope(session: Session): OpsScope {
  return session.platformRole === 'operator' ? { kind: 'platform' } : { kind: 'org', orgId: session.orgId };
}

function actorOf(session: Session): OpsActor {
  return { userId: session.userId, orgId: session.orgId, platform: session.platformRole === 'operator' };
}

function opsDeps(services: Services): OpsDeps {
  return { db: services.db, queues: services.ops.queues, catalogue: services.ops.catalogue };
}

const read = permissionProcedure('ops.read');
const manage = permissionProcedure('ops.manage');

const ZQueueName = z.string().min(1).max(200);
const ZJobRef = z.object({ queue: ZQueueName, id: z.uuid() });
const ZCursor = ZCursorField.nullish();

export const opsRouter = router({
  queues: read
    .input(z.object({ windowSeconds: z.number().int().min(60).max(86_400).optional() }).optional())
    .query(({ ctx, input }) =>
      listOpsQueues(opsDeps(ctx.services), {
        scope: opsScope(ctx.session),
        ...(input?.windowSeconds ? { windowSeconds: input.windowSeconds } : {}),
      }),
    ),

  jobs: read
    .use(heavy)
    .input(
      z.object({
        // Without a queue, `search` looks through every queue the console shows.
        queue: ZQueueName.optional(),
        state: z.enum(JOB_STATES).optional(),
        search: z.string().trim().min(1).max(500).optional(),
        cursor: ZCursor,
        limit: z.number().int().min(1).max(200).default(50),
        order: z.enum(['newest', 'oldest']).default('newest'),
      }),
    )
    .query(({ ctx, input }) => listJobs(opsDeps(ctx.services), { scope: opsScope(ctx.session), ...input })),

  job: read
    .input(ZJobRef)
    .query(({ ctx, input }) => getJob(opsDeps(ctx.services), { scope: opsScope(ctx.session), ...input })),

  retry: manage.input(ZJobRef).mutation(({ ctx, input }) =>
    retryJob(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  /** Every failed job of a queue (in scope; the oldest 1 000 per call) gets one more attempt. */
  retryAllFailed: manage.input(z.object({ queue: ZQueueName })).mutation(({ ctx, input }) =>
    retryAllFailed(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  cancel: manage.input(ZJobRef).mutation(({ ctx, input }) =>
    cancelJob(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  delete: manage.input(ZJobRef).mutation(({ ctx, input }) =>
    deleteJob(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  redrive: manage.input(z.object({ deadLetterQueue: ZQueueName, id: z.uuid() })).mutation(({ ctx, input }) =>
    redriveJob(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  redriveAll: manage.input(z.object({ deadLetterQueue: ZQueueName })).mutation(({ ctx, input }) =>
    redriveAll(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  /**
   * One action on a selection of one queue's jobs (at most 100 ids): retry, cancel, delete, run now
   * (delayed jobs), and for dead letters redrive or discard. Jobs the action does not apply to are
   * reported as skipped; one id unknown or of another org → 404 and nothing is done.
   */
  bulk: manage
    .input(z.object({ queue: ZQueueName, action: z.enum(BULK_ACTIONS), ids: ZBulkJobIds }))
    .mutation(({ ctx, input }) =>
      actOnJobs(opsDeps(ctx.services), {
        scope: opsScope(ctx.session),
        actor: actorOf(ctx.session),
        ...input,
      }),
    ),

  /** A delayed job (its start time ahead) becomes runnable now. */
  runNow: manage.input(ZJobRef).mutation(({ ctx, input }) =>
    runJobNow(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  /** Deletes every dead letter waiting now in a dead-letter queue (in scope; the oldest 1 000 per call). */
  discardAllDeadLetters: manage.input(z.object({ deadLetterQueue: ZQueueName })).mutation(({ ctx, input }) =>
    discardAllDeadLetters(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  pauseQueue: manage.input(z.object({ queue: ZQueueName })).mutation(({ ctx, input }) =>
    pauseQueue(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  resumeQueue: manage.input(z.object({ queue: ZQueueName })).mutation(({ ctx, input }) =>
    resumeQueue(opsDeps(ctx.services), {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  outbox: read
    .input(
      z.object({
        status: z.enum(['pending', 'failed']).default('pending'),
        cursor: ZCursor,
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listOutbox(ctx.services, { scope: opsScope(ctx.session), ...input })),

  outboxReplay: manage.input(z.object({ id: z.uuid() })).mutation(({ ctx, input }) =>
    replayOutboxEvent(ctx.services, {
      scope: opsScope(ctx.session),
      actor: actorOf(ctx.session),
      ...input,
    }),
  ),

  inboxFailures: read
    .input(
      z
        .object({
          consumer: ZQueueName.optional(),
          cursor: ZCursor,
          limit: z.number().int().min(1).max(200).default(50),
        })
        .optional(),
    )
    .query(({ ctx, input }) =>
      listInboxFailures(opsDeps(ctx.services), { scope: opsScope(ctx.session), ...(input ?? {}) }),
    ),

  kpis: read.query(({ ctx }) => getOpsKpis(opsDeps(ctx.services), { scope: opsScope(ctx.session) })),

  queueHistory: read
    .use(heavy)
    .input(
      z.object({
        queue: ZQueueName,
        from: ZDate.optional(),
        to: ZDate.optional(),
        points: z.number().int().min(1).max(1_000).optional(),
      }),
    )
    .query(({ ctx, input }) =>
      queueHistory(opsDeps(ctx.services), { scope: opsScope(ctx.session), ...input }),
    ),

  /**
   * Several queues' histories in one call (every queue when `queues` is omitted): the queues table's
   * sparklines, without one heavy call per row.
   */
  queueHistories: read
    .use(heavy)
    .input(
      z
        .object({
          queues: z.array(ZQueueName).min(1).max(200).optional(),
          from: ZDate.optional(),
          to: ZDate.optional(),
          points: z.number().int().min(1).max(200).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) =>
      queueHistories(opsDeps(ctx.services), { scope: opsScope(ctx.session), ...(input ?? {}) }),
    ),

  /**
   * Readiness of the API, the worker and the scheduler (from their ops servers), with each check's
   * error text: infrastructure detail, for platform operators only.
   */
  health: operatorProcedure.query(({ ctx }) =>
    platformHealth({
      local: () => runHealthChecks(ctx.services.healthChecks),
      remotes: ctx.services.ops.remotes,
      processes: () => listProcesses(ctx.services.db),
      unconsumedQueues: async () =>
        (await getOpsKpis(opsDeps(ctx.services), { scope: { kind: 'platform' } })).unconsumedQueues,
    }),
  ),

  /**
   * Every worker and scheduler process that registered a heartbeat: live, missing (silent for a few
   * beats) or recently stopped, with host, pid, version and the queues it consumes. Operators only.
   */
  processes: operatorProcedure.query(async ({ ctx }) => ({
    processes: await listProcesses(ctx.services.db),
  })),
});
