import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../../auth/use-session.ts';
import { api, type RouterOutputs } from '../../lib/trpc.ts';

/** Live numbers (queues, KPIs, jobs, the outbox) refresh this often while a page is open. */
export const OPS_REFRESH_MS = 5_000;
/** Charts are fed by samples the worker takes every 30 s by default: no point asking more often. */
export const CHART_REFRESH_MS = 30_000;
/** Rows per page of every Ops list. */
export const PAGE_SIZE = 25;

/** Options for a polled query: refresh in the background, keep showing the last answer meanwhile. */
export const live = { refetchInterval: OPS_REFRESH_MS, staleTime: 0 } as const;

export type OpsQueue = RouterOutputs['ops']['queues']['queues'][number];
export type OpsJobSummary = RouterOutputs['ops']['jobs']['items'][number];
export type OpsJobDetail = RouterOutputs['ops']['job'];
export type JobState = OpsJobSummary['state'];
export type Schedule = RouterOutputs['scheduler']['get'];
/** A row of the schedules list: the schedule and its latest run. */
export type ScheduleListItem = RouterOutputs['scheduler']['list']['items'][number];
export type ScheduleRun = RouterOutputs['scheduler']['runs']['items'][number];

export const JOB_STATES: readonly JobState[] = [
  'created',
  'retry',
  'active',
  'completed',
  'cancelled',
  'failed',
];

/** After an action: every Ops number may have moved. */
export function refreshOps(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: api.ops.pathKey() });
}

export function refreshScheduler(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: api.scheduler.pathKey() });
}

export function useRefreshOps(): () => Promise<void> {
  const queryClient = useQueryClient();
  return () => refreshOps(queryClient);
}

/** Where a job's page lives. Queue names contain dots, never slashes, but encode anyway. */
export function jobPath(queue: string, id: string): string {
  return `/ops/queues/${encodeURIComponent(queue)}/jobs/${id}`;
}

export function queuePath(queue: string, state?: JobState): string {
  return `/ops/queues/${encodeURIComponent(queue)}${state ? `?state=${state}` : ''}`;
}

export function isJobState(value: string | null): value is JobState {
  return value !== null && (JOB_STATES as readonly string[]).includes(value);
}

/**
 * What the signed-in user may do here. The API checks every call; this only keeps buttons that would
 * answer 403 off the screen (an org admin holding `ops.read` alone, schedules and organisations for
 * non-operators).
 */
export function useOpsAccess() {
  const session = useSession();
  return {
    canManage: session.can('ops.manage'),
    canSchedule: session.can('scheduler.manage'),
    /** A platform operator: sees every organisation (`orgs.*`). */
    isOperator: session.user?.platformRole === 'operator',
  };
}
