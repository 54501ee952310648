import type { Database } from '@atrium/db';
import type { Transaction } from 'kysely';

/**
 * What the Ops console needs from the job queue, as a port: the domain decides who may see and do
 * what, the adapter (`createPgBossOpsQueues` in `@atrium/jobs`) knows pg-boss's tables and commands.
 * Every org filter here is "the job's payload carries `orgId` = X" (docs/ops.md, org attribution).
 */

/** pg-boss job states, in lifecycle order. */
export const JOB_STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** How a refusal names a job's state to a person ("…; this one is running"), never pg-boss's word. */
export const JOB_STATE_PHRASE: Record<JobState, string> = {
  created: 'is waiting',
  retry: 'is waiting to retry',
  active: 'is running',
  completed: 'is done',
  cancelled: 'was cancelled',
  failed: 'has failed for good',
};
export type JobStateCounts = Record<JobState, number>;

export interface JobStatsQuery {
  queues: readonly string[];
  /** Only jobs attributed to this org. */
  orgId?: string;
  /** One row per (queue, org) instead of one per queue. */
  byOrg?: boolean;
  /** Lower bound (inclusive) of the completed/failed counters. */
  since: Date;
  /** Upper bound (exclusive) of the counters; open when absent. */
  until?: Date;
}

export interface QueueJobStats {
  queue: string;
  /** Set when grouped by org: the jobs' `orgId`, null for jobs no org owns. */
  orgId: string | null;
  /** Jobs stored now, per state (completed/cancelled/failed until pg-boss's retention drops them). */
  counts: JobStateCounts;
  /** Jobs completed in [since, until). */
  completed: number;
  /** Jobs failed for good (retries exhausted) in [since, until). */
  failed: number;
  /** When the longest-waiting runnable job (created or retry, start time reached) became runnable. */
  oldestWaitingSince: Date | null;
}

/** Jobs of one queue, optionally only in some states. A list query ORs its selectors. */
export interface JobSelector {
  queue: string;
  states?: readonly JobState[];
}

/** What `ops.jobs` searches for: a job id, a JSON fragment the payload contains, or text in it. */
export type JobSearch =
  | { kind: 'id'; id: string }
  | { kind: 'data'; data: Record<string, unknown> }
  | { kind: 'text'; text: string };

/** A position in a job list: the last row's creation time (as the database spells it) and id. */
export interface JobCursor {
  createdOn: string;
  id: string;
}

export interface JobListQuery {
  selectors: readonly JobSelector[];
  orgId?: string;
  /** Only these job ids (a selection the console acts on). */
  ids?: readonly string[];
  /** Only jobs created before this instant ("what is there now"). */
  createdBefore?: Date;
  search?: JobSearch;
  after?: JobCursor;
  order: 'newest' | 'oldest';
  limit: number;
}

/** One job as the queue stores it. */
export interface StoredJob {
  id: string;
  queue: string;
  state: JobState;
  /** `data.orgId` when it is a string: the org the job is attributed to. */
  orgId: string | null;
  data: unknown;
  /** The handler's result, or the last error of a failed attempt. */
  output: unknown;
  retryCount: number;
  retryLimit: number;
  priority: number;
  singletonKey: string | null;
  createdOn: Date;
  startAfter: Date;
  startedOn: Date | null;
  completedOn: Date | null;
  keepUntil: Date;
  /** Where the job goes when its retries are exhausted. */
  deadLetter: string | null;
  /** Set on a dead letter: where it came from. */
  source: {
    queue: string | null;
    id: string | null;
    createdOn: Date | null;
    retryCount: number | null;
    output: unknown;
  } | null;
  /** The first job of its dead-letter/redrive chain (pg-boss `source_root_id`). */
  rootId: string | null;
  cursor: JobCursor;
}

export interface RedriveCommand {
  deadLetterQueue: string;
  /** Only these dead letters (by their id in the dead-letter queue). */
  ids?: readonly string[];
  /** Only dead letters attributed to this org. */
  orgId?: string;
}

export interface OpsQueuePort {
  stats(query: JobStatsQuery): Promise<QueueJobStats[]>;
  /** Jobs matching the query, read on `trx` when given (to see what the caller's transaction wrote). */
  list(query: JobListQuery, trx?: Transaction<Database>): Promise<StoredJob[]>;
  /** One job, read on `trx` when given (the action that follows runs on it too). */
  get(queue: string, id: string, trx?: Transaction<Database>): Promise<StoredJob | null>;
  /** A failed job back to `retry` (one more attempt). False when the job is not failed. */
  retry(trx: Transaction<Database>, queue: string, id: string): Promise<boolean>;
  /** A job not yet finished to `cancelled`. False when it had already finished. */
  cancel(trx: Transaction<Database>, queue: string, id: string): Promise<boolean>;
  delete(trx: Transaction<Database>, queue: string, id: string): Promise<boolean>;
  /** Deletes these jobs of one queue in one command; returns how many were deleted. */
  deleteMany(trx: Transaction<Database>, queue: string, ids: readonly string[]): Promise<number>;
  /**
   * A delayed job (created or backing off in retry, start time still ahead) becomes runnable now: its
   * start time moves to the database's now. False when the job is not delayed (any more).
   */
  runNow(trx: Transaction<Database>, queue: string, id: string): Promise<boolean>;
  /** Moves waiting dead letters back to their source queue as new jobs; returns how many moved. */
  redrive(trx: Transaction<Database>, command: RedriveCommand): Promise<number>;
}
