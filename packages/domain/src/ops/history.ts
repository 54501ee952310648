import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { ValidationError } from '../errors.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { findOpsQueue, opsQueueInfos } from './catalogue-view.ts';
import type { QueueJobStats } from './port.ts';
import { emptyStats } from './queues.ts';
import { type OpsDeps, type OpsScope, scopeOrgId } from './scope.ts';

/**
 * Queue depth and failures over time (SPEC §8 charts). Workers sample every queue every
 * `intervalSeconds` into `ops_queue_samples`, one row per (queue, org) — pg-boss's own
 * `persistQueueStats` snapshots are per queue only, so they could not give an org admin their share
 * (docs/ops.md). Samples are aligned to the interval, so any number of workers write each bucket once.
 */
export const SAMPLE_RETENTION_DAYS = 14;

export interface SampleResult {
  capturedAt: Date;
  /** Rows written; 0 when another worker had already sampled this bucket. */
  rows: number;
}

export async function recordQueueSamples(
  deps: Pick<OpsDeps, 'db' | 'queues' | 'catalogue' | 'clock'>,
  input: { intervalSeconds: number },
): Promise<SampleResult> {
  const { intervalSeconds } = input;
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1) {
    throw new ValidationError('intervalSeconds must be a positive integer');
  }
  const now = (deps.clock ?? systemClock).now();
  const step = intervalSeconds * 1000;
  const capturedAt = new Date(Math.floor(now.getTime() / step) * step);
  const taken = await deps.db
    .selectFrom('ops_queue_samples')
    .select('queue')
    .where('captured_at', '=', capturedAt)
    .limit(1)
    .executeTakeFirst();
  if (taken) return { capturedAt, rows: 0 };

  const queues = opsQueueInfos(deps.catalogue).map((q) => q.name);
  const stats = await deps.queues.stats({
    queues,
    byOrg: true,
    since: new Date(capturedAt.getTime() - step),
    until: capturedAt,
  });
  const rows = [...stats];
  // Every queue gets its no-org row, zeros included: it marks the bucket as sampled, so a chart can
  // tell "nothing waiting" from "no worker was sampling".
  for (const queue of queues) {
    if (!rows.some((row) => row.queue === queue && row.orgId === null)) rows.push(emptyStats(queue));
  }
  const values = rows.map((row: QueueJobStats) => ({
    captured_at: capturedAt,
    queue: row.queue,
    org_id: row.orgId,
    waiting: row.counts.created + row.counts.retry,
    active: row.counts.active,
    failed: row.counts.failed,
    completed_delta: row.completed,
    failed_delta: row.failed,
    interval_seconds: intervalSeconds,
  }));
  const inserted = await deps.db
    .insertInto('ops_queue_samples')
    .values(values)
    .onConflict((oc) => oc.columns(['captured_at', 'queue', 'org_id']).doNothing())
    .executeTakeFirst();
  await deps.db
    .deleteFrom('ops_queue_samples')
    .where('captured_at', '<', new Date(capturedAt.getTime() - SAMPLE_RETENTION_DAYS * 86_400_000))
    .execute();
  return { capturedAt, rows: Number(inserted.numInsertedOrUpdatedRows ?? 0) };
}

export interface QueueHistoryPoint {
  /** Start of the bucket. */
  at: Date;
  /** Peak jobs waiting (created + retry) in the bucket. */
  waiting: number;
  /** Peak jobs running. */
  active: number;
  /** Peak failed jobs retained (pg-boss keeps them until retention). */
  failed: number;
  /** Jobs completed in the bucket. */
  completed: number;
  /** Jobs that failed for good in the bucket. */
  failures: number;
}

export interface QueueHistory {
  queue: string;
  scope: OpsScope['kind'];
  from: Date;
  to: Date;
  bucketSeconds: number;
  /** Buckets that have samples, oldest first; a bucket no worker sampled is absent (not zero). */
  points: QueueHistoryPoint[];
}

export const MAX_HISTORY_POINTS = 1_000;

export async function queueHistory(
  deps: { db: Kysely<Database>; catalogue: OpsDeps['catalogue']; clock?: Clock },
  input: { scope: OpsScope; queue: string; from?: Date; to?: Date; points?: number },
): Promise<QueueHistory> {
  const { queue, ...rest } = input;
  const many = await queueHistories(deps, { ...rest, queues: [queue] });
  const [history] = many.histories;
  if (!history) throw new Error(`no history for ${queue}`);
  return history;
}

export interface QueueHistories {
  scope: OpsScope['kind'];
  from: Date;
  to: Date;
  bucketSeconds: number;
  /** One history per queue asked for, in that order. */
  histories: QueueHistory[];
}

/**
 * The histories of several queues (every catalogued queue when `queues` is omitted) in one query:
 * the queues table draws a sparkline per row from one call instead of one call per queue.
 */
export async function queueHistories(
  deps: { db: Kysely<Database>; catalogue: OpsDeps['catalogue']; clock?: Clock },
  input: { scope: OpsScope; queues?: string[]; from?: Date; to?: Date; points?: number },
): Promise<QueueHistories> {
  const names = input.queues
    ? [...new Set(input.queues)].map((name) => findOpsQueue(deps.catalogue, name).name)
    : opsQueueInfos(deps.catalogue).map((q) => q.name);
  const to = input.to ?? (deps.clock ?? systemClock).now();
  const from = input.from ?? new Date(to.getTime() - 3600_000);
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError('from must be before to', { from: ['must be before to'] });
  }
  const points = Math.min(Math.max(input.points ?? 60, 1), MAX_HISTORY_POINTS);
  const bucketSeconds = Math.max(1, Math.ceil((to.getTime() - from.getTime()) / 1000 / points));
  const orgId = scopeOrgId(input.scope) ?? null;
  // Per (queue, capture), sum the rows in scope (every org, or one); then per bucket, the peak of
  // the gauges and the sum of the counters.
  const { rows } = await sql<{
    queue: string;
    at: Date;
    waiting: number;
    active: number;
    failed: number;
    completed: number;
    failures: number;
  }>`
    WITH captures AS (
      SELECT queue, captured_at,
             COALESCE(sum(waiting) FILTER (WHERE ${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid), 0) AS waiting,
             COALESCE(sum(active) FILTER (WHERE ${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid), 0) AS active,
             COALESCE(sum(failed) FILTER (WHERE ${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid), 0) AS failed,
             COALESCE(sum(completed_delta) FILTER (WHERE ${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid), 0) AS completed,
             COALESCE(sum(failed_delta) FILTER (WHERE ${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid), 0) AS failures
      FROM ops_queue_samples
      WHERE queue = ANY(${names}::text[]) AND captured_at >= ${from} AND captured_at <= ${to}
      GROUP BY queue, captured_at
    )
    SELECT queue,
           to_timestamp(floor(extract(epoch FROM captured_at) / ${bucketSeconds}) * ${bucketSeconds}) AS at,
           max(waiting)::int AS waiting, max(active)::int AS active, max(failed)::int AS failed,
           sum(completed)::int AS completed, sum(failures)::int AS failures
    FROM captures
    GROUP BY 1, 2
    ORDER BY 1, 2
  `.execute(deps.db);
  const byQueue = new Map<string, QueueHistoryPoint[]>(names.map((name) => [name, []]));
  for (const { queue, ...point } of rows) byQueue.get(queue)?.push(point);
  return {
    scope: input.scope.kind,
    from,
    to,
    bucketSeconds,
    histories: names.map((name) => ({
      queue: name,
      scope: input.scope.kind,
      from,
      to,
      bucketSeconds,
      points: byQueue.get(name) ?? [],
    })),
  };
}
