import type { Database } from '@atrium/db';
import type { Transaction } from 'kysely';
import { writeOutboxEvent } from '../events/outbox.ts';
import {
  AIMS_ARTICLE_AGGREGATE,
  articleAggregateId,
  RoomArticleChanged,
  SpaceArticleChanged,
  SpaceAssignmentChanged,
} from './events.ts';

export type SyncReason =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'assignment'
  | 'meeting'
  | 'page'
  | 'requeued'
  | 'retry';

/** A room's AIMS article id (SPEC §9). */
export function roomArticleId(externalId: string): string {
  return `C${externalId}`;
}

/**
 * Asks for a space's article to be synced, in the caller's transaction: the relay turns the event
 * into a job of `workplace.sync-space` keyed by the article, which coalesces with any job of the same
 * article still waiting. Assignment changes go to the same queue with the assignment's retry budget.
 */
export async function requestSpaceSync(
  trx: Transaction<Database>,
  orgId: string,
  externalId: string,
  reason: SyncReason,
): Promise<void> {
  await writeOutboxEvent(trx, {
    orgId,
    type: reason === 'assignment' ? SpaceAssignmentChanged : SpaceArticleChanged,
    aggregateType: AIMS_ARTICLE_AGGREGATE,
    aggregateId: articleAggregateId(orgId, externalId),
    payload: { externalId, reason },
  });
}

export async function requestRoomSync(
  trx: Transaction<Database>,
  orgId: string,
  externalId: string,
  reason: SyncReason,
): Promise<void> {
  await writeOutboxEvent(trx, {
    orgId,
    type: RoomArticleChanged,
    aggregateType: AIMS_ARTICLE_AGGREGATE,
    aggregateId: articleAggregateId(orgId, roomArticleId(externalId)),
    payload: { externalId, reason },
  });
}
