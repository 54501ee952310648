import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useSession } from '../../auth/use-session.ts';
import { RESYNC_EVENT, type RealtimeStatus, useRealtimeEvents } from '../../lib/realtime.ts';
import { api, type RouterOutputs } from '../../lib/trpc.ts';

/**
 * Live numbers (queues, KPIs, jobs, the outbox) follow the event stream: workers send `ops.changed`
 * when jobs settle and open pages refetch (`useOpsLiveUpdates`). This poll is only the safety net,
 * for a stream that is down and for what no event announces (work piling up behind a dead worker).
 */
export const OPS_REFRESH_MS = 30_000;
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

/** The Ops queries an `ops.changed` hint refreshes: the live numbers, not the (heavy) charts. */
const LIVE_QUERIES = ['queues', 'kpis', 'jobs', 'job', 'outbox', 'inboxFailures', 'health', 'processes'];

/** A hint arrived: refetch what is on screen (at most once per `coalesceMs`). */
export function useOpsLiveUpdates(coalesceMs = 300): RealtimeStatus {
  const queryClient = useQueryClient();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
    },
    [],
  );
  return useRealtimeEvents((event) => {
    if (event.type !== OPS_CHANGED_EVENT && event.type !== RESYNC_EVENT) return;
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      for (const procedure of LIVE_QUERIES) {
        // A procedure's path is the prefix of its keys, whatever the input (trpc.ts ProcedureKey).
        void queryClient.invalidateQueries({ queryKey: [['ops', procedure]] });
      }
    }, coalesceMs);
  });
}

/** What workers publish when Ops numbers move (packages/domain/src/ops/live.ts). */
export const OPS_CHANGED_EVENT = 'ops.changed';

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
