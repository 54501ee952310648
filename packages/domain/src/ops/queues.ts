import { systemClock } from '../platform/clock.ts';
import { type OpsQueueInfo, opsQueueInfos } from './catalogue-view.ts';
import { readPausedQueues } from './controls.ts';
import { type OutboxSummary, outboxSummary } from './outbox.ts';
import { JOB_STATES, type JobStateCounts, type QueueJobStats } from './port.ts';
import { consumersByQueue, listProcesses } from './processes.ts';
import { type OpsDeps, type OpsScope, scopeOrgId } from './scope.ts';

export interface OpsQueueView extends OpsQueueInfo {
  /** Jobs per state, in the caller's scope. */
  counts: JobStateCounts;
  /** created + retry: jobs waiting for a worker (including retries still backing off). */
  waiting: number;
  /** Completed per minute over the last `windowSeconds`. */
  throughputPerMinute: number;
  /** Failed for good per minute over the same window. */
  failuresPerMinute: number;
  /** How long the longest-waiting runnable job has waited; null when none waits. */
  oldestWaitingSeconds: number | null;
  paused: boolean;
  pausedAt: Date | null;
  /** Live processes consuming this queue; null for a dead-letter queue (nothing consumes those). */
  consumers: number | null;
  /** Work waits and no live process consumes the queue (and no operator paused it): red. */
  unconsumed: boolean;
}

export interface OpsQueueList {
  scope: OpsScope['kind'];
  generatedAt: Date;
  windowSeconds: number;
  queues: OpsQueueView[];
}

export const DEFAULT_THROUGHPUT_WINDOW_SECONDS = 300;

/**
 * Every catalogued queue and its dead-letter queue with live counts (SPEC §8 `ops.queues`). An org
 * admin sees the same list with every number restricted to their org's jobs.
 */
export async function listOpsQueues(
  deps: OpsDeps,
  input: { scope: OpsScope; windowSeconds?: number },
): Promise<OpsQueueList> {
  const now = (deps.clock ?? systemClock).now();
  const windowSeconds = input.windowSeconds ?? DEFAULT_THROUGHPUT_WINDOW_SECONDS;
  const infos = opsQueueInfos(deps.catalogue);
  const orgId = scopeOrgId(input.scope);
  const [stats, paused, processes] = await Promise.all([
    deps.queues.stats({
      queues: infos.map((q) => q.name),
      ...(orgId ? { orgId } : {}),
      since: new Date(now.getTime() - windowSeconds * 1000),
    }),
    readPausedQueues(deps.db),
    listProcesses(deps.db),
  ]);
  const byQueue = new Map(stats.map((row) => [row.queue, row]));
  const consumers = consumersByQueue(processes);
  return {
    scope: input.scope.kind,
    generatedAt: now,
    windowSeconds,
    queues: infos.map((info) => {
      const row = byQueue.get(info.name) ?? emptyStats(info.name);
      const pause = paused.get(info.name);
      const waiting = row.counts.created + row.counts.retry;
      const liveConsumers = info.kind === 'dead_letter' ? null : (consumers.get(info.name) ?? 0);
      return {
        ...info,
        counts: row.counts,
        waiting,
        consumers: liveConsumers,
        unconsumed: liveConsumers === 0 && waiting > 0 && pause === undefined,
        throughputPerMinute: round2((row.completed * 60) / windowSeconds),
        failuresPerMinute: round2((row.failed * 60) / windowSeconds),
        oldestWaitingSeconds: secondsSince(now, row.oldestWaitingSince),
        paused: pause !== undefined,
        pausedAt: pause?.pausedAt ?? null,
      };
    }),
  };
}

export interface OpsKpis {
  scope: OpsScope['kind'];
  generatedAt: Date;
  /** Jobs waiting in worked queues (created + retry). */
  queued: number;
  active: number;
  completedLastHour: number;
  /** Jobs that failed for good in the last hour. */
  failedLastHour: number;
  /** Dead letters waiting for an operator. */
  deadLetters: number;
  /** The longest any runnable job has waited, in seconds; null when none waits. */
  oldestWaitingSeconds: number | null;
  pausedQueues: number;
  outbox: OutboxSummary;
  /** Queues with waiting work and no live consumer (not paused), with how many jobs wait. */
  unconsumedQueues: Array<{ queue: string; waiting: number }>;
}

/** The Ops dashboard's headline numbers, in the caller's scope. */
export async function getOpsKpis(deps: OpsDeps, input: { scope: OpsScope }): Promise<OpsKpis> {
  const now = (deps.clock ?? systemClock).now();
  const infos = opsQueueInfos(deps.catalogue);
  const orgId = scopeOrgId(input.scope);
  const [stats, outbox, paused, processes] = await Promise.all([
    deps.queues.stats({
      queues: infos.map((q) => q.name),
      ...(orgId ? { orgId } : {}),
      since: new Date(now.getTime() - 3600_000),
    }),
    outboxSummary(deps.db, input.scope),
    readPausedQueues(deps.db),
    listProcesses(deps.db),
  ]);
  const consumers = consumersByQueue(processes);
  const kind = new Map(infos.map((q) => [q.name, q.kind]));
  const kpis: OpsKpis = {
    scope: input.scope.kind,
    generatedAt: now,
    queued: 0,
    active: 0,
    completedLastHour: 0,
    failedLastHour: 0,
    deadLetters: 0,
    oldestWaitingSeconds: null,
    pausedQueues: paused.size,
    outbox,
    unconsumedQueues: [],
  };
  for (const row of stats) {
    if (kind.get(row.queue) === 'dead_letter') {
      kpis.deadLetters += row.counts.created + row.counts.retry;
      continue;
    }
    const waiting = row.counts.created + row.counts.retry;
    kpis.queued += waiting;
    if (waiting > 0 && !consumers.get(row.queue) && !paused.has(row.queue)) {
      kpis.unconsumedQueues.push({ queue: row.queue, waiting });
    }
    kpis.active += row.counts.active;
    kpis.completedLastHour += row.completed;
    kpis.failedLastHour += row.failed;
    const waited = secondsSince(now, row.oldestWaitingSince);
    if (waited !== null) kpis.oldestWaitingSeconds = Math.max(kpis.oldestWaitingSeconds ?? 0, waited);
  }
  return kpis;
}

export function emptyStats(queue: string, orgId: string | null = null): QueueJobStats {
  return {
    queue,
    orgId,
    counts: Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobStateCounts,
    completed: 0,
    failed: 0,
    oldestWaitingSince: null,
  };
}

function secondsSince(now: Date, since: Date | null): number | null {
  if (!since) return null;
  return Math.max(0, Math.round((now.getTime() - since.getTime()) / 100) / 10);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
