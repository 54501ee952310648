import { defineEventQueue } from '../events/queue-definition.ts';
import {
  FullSyncRequested,
  RoomArticleChanged,
  SpaceArticleChanged,
  SpaceAssignmentChanged,
  WorkplaceSyncFailed,
} from './events.ts';
import { SYNC_ATTEMPTS, SYNC_FAILED_NOTICE_QUEUE } from './sync.ts';

export const SPACE_SYNC_QUEUE = 'workplace.sync-space';
export const ROOM_SYNC_QUEUE = 'workplace.sync-room';
export const FULL_SYNC_QUEUE = 'workplace.full-sync';

/**
 * Space articles (SPEC §9): coalesced per article (pg-boss `stately`: one job waiting and one
 * running per article). The queue allows the larger budget (assignments: 10 attempts); a job created
 * by a plain space change gives up after 5 (the handler dead-letters it at once then). Backoff
 * `5 s · 2^(n-1) · (1 + jitter)` up to 5 min. An attempt is bounded by the AIMS client's call
 * budget (30 s per call, a few calls).
 */
export const spaceSyncQueue = defineEventQueue({
  name: SPACE_SYNC_QUEUE,
  events: [SpaceArticleChanged, SpaceAssignmentChanged],
  retryLimit: SYNC_ATTEMPTS.assignment - 1,
  retryDelaySeconds: 5,
  retryBackoff: true,
  retryDelayMaxSeconds: 300,
  expireInSeconds: 180,
  coalesce: true,
});

/** Room articles and their label page: 10 attempts, coalesced per article. */
export const roomSyncQueue = defineEventQueue({
  name: ROOM_SYNC_QUEUE,
  events: [RoomArticleChanged],
  retryLimit: SYNC_ATTEMPTS.room - 1,
  retryDelaySeconds: 5,
  retryBackoff: true,
  retryDelayMaxSeconds: 300,
  expireInSeconds: 180,
  coalesce: true,
});

/** Writes the admins' notice rows only (delivery is the dispatcher's): retries cover a database hiccup. */
export const syncFailedNoticeQueue = defineEventQueue({
  name: SYNC_FAILED_NOTICE_QUEUE,
  events: [WorkplaceSyncFailed],
  retryLimit: 8,
  retryDelaySeconds: 5,
  retryDelayMaxSeconds: 600,
  expireInSeconds: 60,
});

/**
 * Full syncs: one run per job. A run that fails is recorded as failed and not retried (the next
 * reconciliation or a person starts a new one). 30 minutes bound a run of 100,000 articles.
 */
export const fullSyncQueue = defineEventQueue({
  name: FULL_SYNC_QUEUE,
  events: [FullSyncRequested],
  retryLimit: 0,
  expireInSeconds: 1_800,
});

export const WORKPLACE_QUEUES = [
  spaceSyncQueue,
  roomSyncQueue,
  syncFailedNoticeQueue,
  fullSyncQueue,
] as const;
