import type { LogSink } from '../platform/logger.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { publishQuietly } from '../realtime/publishers.ts';

/** The realtime event of a job that failed for good (SPEC §2's `job.failed`). */
export const JOB_FAILED_EVENT = 'job.failed';

/** Who hears it: whoever reads the org's share of the Ops console. */
export const JOB_FAILED_AUDIENCE = { permission: 'ops.read' } as const;

const MAX_ERROR_LENGTH = 500;

export interface FailedJob {
  queue: string;
  jobId: string;
  /** The job's payload: its top-level `orgId` says whose job it is (docs/ops.md, org attribution). */
  data: unknown;
  /** Attempts made, the last included. */
  attempts: number;
  deadLetter: string;
  error: string;
}

/**
 * Tells the job's org, live, that one of its jobs failed for good and went to its dead-letter queue,
 * so an open Ops console refreshes its counts and an operator can redrive it. A job no org owns (no
 * `orgId` in its payload) announces nothing: events are org-scoped. A hint, like every realtime event:
 * published once the worker has decided the job's fate, and a failed publish is only logged.
 */
export async function announceJobFailed(
  realtime: RealtimePublisher,
  job: FailedJob,
  log?: LogSink,
): Promise<void> {
  const orgId = orgOfJob(job.data);
  if (!orgId) return;
  await publishQuietly(
    realtime,
    {
      orgId,
      type: JOB_FAILED_EVENT,
      payload: {
        queue: job.queue,
        jobId: job.jobId,
        attempts: job.attempts,
        deadLetter: job.deadLetter,
        error: job.error.length > MAX_ERROR_LENGTH ? `${job.error.slice(0, MAX_ERROR_LENGTH)}…` : job.error,
      },
      audience: JOB_FAILED_AUDIENCE,
    },
    log,
  );
}

/** The org a job is attributed to: its payload's top-level `orgId`, when it is a string. */
export function orgOfJob(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const orgId = (data as { orgId?: unknown }).orgId;
  return typeof orgId === 'string' && orgId.length > 0 ? orgId : null;
}
