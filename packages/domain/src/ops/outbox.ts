import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { NotFoundError, ValidationError } from '../errors.ts';
import { OUTBOX_CHANNEL } from '../events/outbox.ts';
import { ZSeqText } from '../platform/input-blocks.ts';
import { assertInScope, auditOps, type OpsActor, type OpsScope, scopeOrgId } from './scope.ts';

/**
 * The outbox as Ops sees it (SPEC §2, §8). `pending` = not yet published; `failed` = not yet
 * published and the relay's fan-out has failed at least once (attempts > 0 with a last error). The
 * relay never gives up on an event, so a failed event stays here, retried on every wake, until it
 * publishes or an operator fixes its cause.
 */
export type OutboxStatus = 'pending' | 'failed';

export interface OutboxEventView {
  id: string;
  seq: string;
  orgId: string | null;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: unknown;
  createdAt: Date;
  publishedAt: Date | null;
  attempts: number;
  lastError: string | null;
  /** Seconds since the event was written. */
  ageSeconds: number;
}

export interface OutboxSummary {
  pending: number;
  failed: number;
  /** Age of the oldest unpublished event, in seconds (0 when none): the outbox lag. */
  lagSeconds: number;
  oldestPendingAt: Date | null;
}

export interface OutboxPage {
  summary: OutboxSummary;
  items: OutboxEventView[];
  nextCursor: string | null;
}

/** Pending/failed counts and lag, for one org or the whole platform. */
export async function outboxSummary(db: Kysely<Database>, scope: OpsScope): Promise<OutboxSummary> {
  const orgId = scopeOrgId(scope) ?? null;
  const { rows } = await sql<{ pending: number; failed: number; oldest: Date | null; lag: number }>`
    SELECT count(*)::int AS pending,
           count(*) FILTER (WHERE attempts > 0 AND last_error IS NOT NULL)::int AS failed,
           min(created_at) AS oldest,
           COALESCE(EXTRACT(EPOCH FROM (now() - min(created_at))), 0)::float8 AS lag
    FROM outbox_events
    WHERE published_at IS NULL AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)
  `.execute(db);
  const row = rows[0];
  return {
    pending: row?.pending ?? 0,
    failed: row?.failed ?? 0,
    lagSeconds: Math.max(0, row?.lag ?? 0),
    oldestPendingAt: row?.oldest ?? null,
  };
}

/** Unpublished events, oldest first (the head of the outbox is what the lag measures). */
export async function listOutbox(
  deps: { db: Kysely<Database> },
  input: { scope: OpsScope; status: OutboxStatus; cursor?: string | null; limit?: number },
): Promise<OutboxPage> {
  const limit = input.limit ?? 50;
  const afterSeq = input.cursor ? parseSeqCursor(input.cursor) : null;
  const orgId = scopeOrgId(input.scope);
  let query = deps.db
    .selectFrom('outbox_events')
    .selectAll()
    .select(sql<number>`EXTRACT(EPOCH FROM (now() - created_at))::float8`.as('age_seconds'))
    .where('published_at', 'is', null)
    .orderBy('seq')
    .limit(limit + 1);
  if (input.status === 'failed') query = query.where('attempts', '>', 0).where('last_error', 'is not', null);
  if (orgId) query = query.where('org_id', '=', orgId);
  if (afterSeq) query = query.where('seq', '>', afterSeq);
  const [rows, summary] = await Promise.all([query.execute(), outboxSummary(deps.db, input.scope)]);
  const page = rows.slice(0, limit);
  return {
    summary,
    items: page.map((row) => ({
      id: row.id,
      seq: row.seq,
      orgId: row.org_id,
      type: row.type,
      aggregateType: row.aggregate_type,
      aggregateId: row.aggregate_id,
      payload: row.payload,
      createdAt: row.created_at,
      publishedAt: row.published_at,
      attempts: row.attempts,
      lastError: row.last_error,
      ageSeconds: Math.max(0, row.age_seconds),
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.seq ?? null) : null,
  };
}

export interface OutboxReplayResult {
  id: string;
  /**
   * `retry`: the event was still unpublished; its failure record is cleared and the relay tries it
   * at once. `republish`: it had been published; it is marked unpublished and relayed again.
   */
  mode: 'retry' | 'republish';
}

/**
 * Sends an event through the relay again (docs/ops.md, replay semantics). Safe by construction: job
 * ids are a function of (event, queue), so while the first jobs exist pg-boss drops the duplicates,
 * and consumers record each event in their inbox, so one that already handled it does nothing.
 */
export async function replayOutboxEvent(
  deps: { db: Kysely<Database> },
  input: { scope: OpsScope; actor: OpsActor; id: string },
): Promise<OutboxReplayResult> {
  return deps.db.transaction().execute(async (trx) => {
    const event = await trx
      .selectFrom('outbox_events')
      .select(['id', 'org_id', 'type', 'published_at', 'attempts', 'last_error'])
      .where('id', '=', input.id)
      .forUpdate()
      .executeTakeFirst();
    if (!event) throw new NotFoundError('Outbox event');
    assertInScope(input.scope, event.org_id, 'Outbox event');
    const mode = event.published_at ? 'republish' : 'retry';
    await trx
      .updateTable('outbox_events')
      .set({ published_at: null, attempts: 0, last_error: null })
      .where('id', '=', event.id)
      .execute();
    await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
    await auditOps(trx, input.actor, {
      action: 'ops.outbox.replayed',
      resourceType: 'outbox_event',
      resourceId: event.id,
      payload: {
        type: event.type,
        mode,
        previousAttempts: event.attempts,
        previousError: event.last_error?.slice(0, 500) ?? null,
      },
      subjectOrgId: event.org_id,
    });
    return { id: event.id, mode };
  });
}

function parseSeqCursor(cursor: string): string {
  if (!ZSeqText.safeParse(cursor).success) {
    throw new ValidationError('Invalid cursor', { cursor: ['This page link is no longer valid'] });
  }
  return cursor;
}
