import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/**
 * The workplace's outbox events (SPEC §9, docs/workplace.md). Article sync events are keyed by the
 * AIMS article (aggregate `aims-article`, id `<orgId>/<articleId>`): the sync queues coalesce on that
 * key, so any number of changes of one article while a job waits become one job, and its handler reads
 * the article's current state when it runs.
 */

/** Aggregate of the per-article sync events: one pending sync job per article. */
export const AIMS_ARTICLE_AGGREGATE = 'aims-article';
export const PERSON_AGGREGATE = 'person';
export const SYNC_RUN_AGGREGATE = 'sync-run';

export function articleAggregateId(orgId: string, articleId: string): string {
  return `${orgId}/${articleId}`;
}

const ZArticleRef = z.object({
  /** The space's or room's external id (the room's article id is `C` + it). */
  externalId: z.string().min(1).max(255),
  reason: z.enum(['created', 'updated', 'deleted', 'assignment', 'meeting', 'page', 'requeued', 'retry']),
});

/** A space's article must be brought up to date (or deleted when the space no longer exists). */
export const SpaceArticleChanged = defineEvent('SpaceArticleChanged', ZArticleRef);

/** An assignment changed what a space's article shows (the person on it). */
export const SpaceAssignmentChanged = defineEvent('SpaceAssignmentChanged', ZArticleRef);

/** A conference room's article (and label page) must be brought up to date. */
export const RoomArticleChanged = defineEvent('RoomArticleChanged', ZArticleRef);

/** A person was assigned to a space (or unassigned: spaceId null). */
export const PersonAssigned = defineEvent(
  'PersonAssigned',
  z.object({
    personId: z.uuid(),
    spaceId: z.uuid().nullable(),
    previousSpaceId: z.uuid().nullable(),
  }),
);

/** A per-article sync gave up (dead letter): admins get a `sync-failed` notice and an incident. */
export const WorkplaceSyncFailed = defineEvent(
  'WorkplaceSyncFailed',
  z.object({
    kind: z.enum(['space', 'room']),
    entityId: z.uuid(),
    externalId: z.string(),
    attempts: z.number().int(),
    error: z.string().max(2_000),
  }),
);

/** A full sync was requested (by a person or the reconciliation schedule). */
export const FullSyncRequested = defineEvent(
  'FullSyncRequested',
  z.object({ runId: z.uuid(), entities: z.array(z.enum(['spaces', 'rooms'])) }),
);
