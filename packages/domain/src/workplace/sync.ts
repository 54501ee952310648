import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { activeMembers } from '../access/members.ts';
import { isAimsError } from '../aims/errors.ts';
import { AppError } from '../errors.ts';
import type { EnvelopeOf } from '../events/envelope.ts';
import { consumeOnce } from '../events/inbox.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { enqueueNotification } from '../notifications/enqueue.ts';
import { systemClock } from '../platform/clock.ts';
import { silentLog } from '../platform/logger.ts';
import { publishQuietly } from '../realtime/publishers.ts';
import { scoped } from '../tenancy/scoped.ts';
import { roomArticle, spaceArticle } from './articles.ts';
import { aimsClientsOf, findConnection, type WorkplaceDeps, ZFieldMapping } from './connection.ts';
import { WorkplaceSyncFailed } from './events.ts';
import { storedData } from './inputs.ts';
import { requestRoomSync, requestSpaceSync, roomArticleId } from './sync-requests.ts';

/**
 * Per-article sync (SPEC §9, docs/workplace.md). A job names an article, never its content: the
 * handler reads the space or room as it is now, so however many edits a job coalesced, one upsert
 * brings the label up to date, and a job that runs late never writes stale data.
 */

export type ArticleKind = 'space' | 'room';

export type ArticleSyncOutcome =
  /** AIMS shows the current state. */
  | { outcome: 'synced'; articleId: string; calls: number }
  /** The entity is gone: its article was deleted. */
  | { outcome: 'deleted'; articleId: string }
  /** The org has no AIMS connection: nothing to do until one is configured (the row stays pending). */
  | { outcome: 'no-connection' }
  /** The org's AIMS is down (health pause): no call made, no retry burnt; resumed by the probe. */
  | { outcome: 'deferred' };

export interface ArticleSyncRequest {
  orgId: string;
  kind: ArticleKind;
  externalId: string;
  signal?: AbortSignal;
}

/** Syncs one article now. AIMS failures are thrown (an `AimsError`); the caller retries or gives up. */
export async function syncArticle(
  deps: WorkplaceDeps,
  request: ArticleSyncRequest,
): Promise<ArticleSyncOutcome> {
  const connection = await findConnection(deps.db, request.orgId);
  if (!connection) return { outcome: 'no-connection' };
  if (connection.paused) return { outcome: 'deferred' };
  const client = aimsClientsOf(deps).forConnection(connection);
  const options = request.signal ? { signal: request.signal } : {};
  const scope = scoped(deps.db, request.orgId);
  const now = () => (deps.clock ?? systemClock).now();

  if (request.kind === 'space') {
    const space = await scope
      .selectFrom('spaces')
      .leftJoin('people', (join) =>
        join.onRef('people.assigned_space_id', '=', 'spaces.id').onRef('people.org_id', '=', 'spaces.org_id'),
      )
      .selectAll('spaces')
      .select([
        'people.id as person_id',
        'people.external_id as person_external_id',
        'people.data as person_data',
      ])
      .select(sql<string>`spaces.updated_at::text`.as('version'))
      .where('spaces.external_id', '=', request.externalId)
      .executeTakeFirst();
    if (!space) {
      await client.deleteArticles([request.externalId], options);
      return { outcome: 'deleted', articleId: request.externalId };
    }
    await markSyncing(deps, 'spaces', request.orgId, space.id);
    const article = spaceArticle(
      {
        externalId: space.external_id,
        labelCode: space.label_code,
        data: storedData(space.data),
        person: space.person_id
          ? { externalId: space.person_external_id, data: storedData(space.person_data) }
          : null,
      },
      ZFieldMapping.catch({}).parse(connection.field_mapping),
    );
    let calls = 1;
    await client.upsertArticles([article], options);
    if (space.label_code !== space.linked_label_code) {
      if (space.linked_label_code) {
        await client.unlinkLabel(space.linked_label_code, options);
        calls += 1;
      }
      if (space.label_code) {
        await client.linkLabel(space.label_code, article.articleId, {
          ...options,
          ...(space.template_name ? { templateName: space.template_name } : {}),
        });
        calls += 1;
      }
    }
    await markSynced(deps, 'spaces', request.orgId, space.id, space.version, space.label_code, now());
    return { outcome: 'synced', articleId: article.articleId, calls };
  }

  const articleId = roomArticleId(request.externalId);
  const room = await scope
    .selectFrom('conference_rooms')
    .selectAll()
    .select(sql<string>`updated_at::text`.as('version'))
    .where('external_id', '=', request.externalId)
    .executeTakeFirst();
  if (!room) {
    await client.deleteArticles([articleId], options);
    return { outcome: 'deleted', articleId };
  }
  await markSyncing(deps, 'conference_rooms', request.orgId, room.id);
  const article = roomArticle({
    externalId: room.external_id,
    roomName: room.room_name,
    hasMeeting: room.has_meeting,
    meetingName: room.meeting_name,
    startTime: room.start_time,
    endTime: room.end_time,
    participants: room.participants,
  });
  let calls = 1;
  await client.upsertArticles([article], options);
  if (room.label_code !== room.linked_label_code) {
    if (room.linked_label_code) {
      await client.unlinkLabel(room.linked_label_code, options);
      calls += 1;
    }
    if (room.label_code) {
      await client.linkLabel(room.label_code, articleId, options);
      calls += 1;
    }
  }
  // A (re)linked label shows page 1; the room's page is set every time, so it is right whatever
  // happened on the label meanwhile.
  if (room.label_code) {
    await client.flipPage(room.label_code, room.page, options);
    calls += 1;
  }
  await markSynced(deps, 'conference_rooms', request.orgId, room.id, room.version, room.label_code, now());
  return { outcome: 'synced', articleId, calls };
}

type SyncTable = 'spaces' | 'conference_rooms';
const LIVE_TYPE: Record<SyncTable, string> = { spaces: 'space.updated', conference_rooms: 'room.updated' };

async function markSyncing(deps: WorkplaceDeps, table: SyncTable, orgId: string, id: string): Promise<void> {
  const changed = await scoped(deps.db, orgId)
    .updateTable(table)
    .set({ sync_status: 'syncing' })
    .where('id', '=', id)
    .where('sync_status', '<>', 'syncing')
    .executeTakeFirst();
  if (changed.numUpdatedRows > 0n) await announce(deps, table, orgId, id, 'syncing', null);
}

/**
 * `synced` only when the row is still what was sent (same `updated_at`): an edit made while the call
 * was in flight keeps the row `pending`, and its own job, already queued, syncs it.
 */
async function markSynced(
  deps: WorkplaceDeps,
  table: SyncTable,
  orgId: string,
  id: string,
  /** `updated_at::text` as read (a Date would drop the microseconds and never match). */
  sentVersion: string,
  labelCode: string | null,
  at: Date,
): Promise<void> {
  const scope = scoped(deps.db, orgId);
  await scope.updateTable(table).set({ linked_label_code: labelCode }).where('id', '=', id).execute();
  const result = await scope
    .updateTable(table)
    .set({ sync_status: 'synced', sync_error: null, last_synced_at: at })
    .where('id', '=', id)
    .where(sql<string>`updated_at::text`, '=', sentVersion)
    .executeTakeFirst();
  if (result.numUpdatedRows > 0n) await announce(deps, table, orgId, id, 'synced', null);
}

async function announce(
  deps: WorkplaceDeps,
  table: SyncTable,
  orgId: string,
  id: string,
  syncStatus: string,
  syncError: string | null,
): Promise<void> {
  await publishQuietly(
    deps.realtime,
    {
      orgId,
      type: LIVE_TYPE[table],
      payload: { id, syncStatus, syncError },
      audience: { permission: 'workplace.write' },
    },
    deps.log,
  );
}

/** The attempt budgets of SPEC §9: 5 for spaces, 10 for assignments and rooms. */
export const SYNC_ATTEMPTS = { space: 5, assignment: 10, room: 10 } as const;

/**
 * A failed attempt that will be retried: the row keeps its status (pending/syncing → pending) and
 * shows the last error.
 */
export async function recordSyncRetry(
  deps: WorkplaceDeps,
  request: Pick<ArticleSyncRequest, 'orgId' | 'kind' | 'externalId'>,
  error: unknown,
): Promise<void> {
  const table: SyncTable = request.kind === 'space' ? 'spaces' : 'conference_rooms';
  const row = await scoped(deps.db, request.orgId)
    .updateTable(table)
    .set({ sync_status: 'pending', sync_error: errorText(error) })
    .where('external_id', '=', request.externalId)
    .returning('id')
    .executeTakeFirst();
  if (row) await announce(deps, table, request.orgId, row.id, 'pending', errorText(error));
}

/**
 * A sync that gave up (its job goes to the dead letter): the row becomes `failed` and
 * `WorkplaceSyncFailed` is written in the same transaction; its consumer notifies the org's admins
 * and opens the incident. Returns false when the entity no longer exists (nothing to mark).
 */
export async function recordSyncFailure(
  deps: WorkplaceDeps,
  request: Pick<ArticleSyncRequest, 'orgId' | 'kind' | 'externalId'>,
  error: unknown,
  attempts: number,
): Promise<boolean> {
  const table: SyncTable = request.kind === 'space' ? 'spaces' : 'conference_rooms';
  const message = errorText(error);
  const row = await deps.db.transaction().execute(async (trx) => {
    const updated = await scoped(trx, request.orgId)
      .updateTable(table)
      .set({ sync_status: 'failed', sync_error: message })
      .where('external_id', '=', request.externalId)
      .returning('id')
      .executeTakeFirst();
    if (!updated) return null;
    await writeOutboxEvent(trx, {
      orgId: request.orgId,
      type: WorkplaceSyncFailed,
      aggregateType: request.kind,
      aggregateId: updated.id,
      payload: {
        kind: request.kind,
        entityId: updated.id,
        externalId: request.externalId,
        attempts,
        error: message,
      },
    });
    return updated;
  });
  if (!row) return false;
  await announce(deps, table, request.orgId, row.id, 'failed', message);
  return true;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 2_000);
}

/** Whether retrying cannot help: AIMS refused the request or the credentials (AimsError.permanent). */
export function isPermanentSyncError(error: unknown): boolean {
  return isAimsError(error) && error.permanent;
}

/** Turns a retryable failure into one the job runner dead-letters at once (the budget is spent). */
export function budgetSpent(error: unknown, attempts: number): AppError {
  return new AppError('UNPROCESSABLE', `AIMS sync gave up after ${attempts} attempts: ${errorText(error)}`, {
    cause: error,
  });
}

/**
 * Asks again for every article of the org that is not `synced` (pending, syncing — a job deferred by
 * the health pause left it so — and, with `includeFailed`, failed), in one transaction. The sync
 * queues coalesce: an article with a job already waiting gets no second one.
 */
export async function requeueUnsyncedArticles(
  db: Kysely<Database>,
  orgId: string,
  options: { includeFailed?: boolean; reason?: 'requeued' | 'retry' } = {},
): Promise<{ spaces: number; rooms: number }> {
  const statuses = options.includeFailed ? ['pending', 'syncing', 'failed'] : ['pending', 'syncing'];
  const reason = options.reason ?? 'requeued';
  return db.transaction().execute(async (trx) => {
    const scope = scoped(trx, orgId);
    const spaces = await scope
      .updateTable('spaces')
      .set({ sync_status: 'pending' })
      .where('sync_status', 'in', statuses as Array<'pending'>)
      .returning('external_id')
      .execute();
    const rooms = await scope
      .updateTable('conference_rooms')
      .set({ sync_status: 'pending' })
      .where('sync_status', 'in', statuses as Array<'pending'>)
      .returning('external_id')
      .execute();
    for (const space of spaces) await requestSpaceSync(trx, orgId, space.external_id, reason);
    for (const room of rooms) await requestRoomSync(trx, orgId, room.external_id, reason);
    return { spaces: spaces.length, rooms: rooms.length };
  });
}

// ── The sync-failed notice ───────────────────────────────────────────────────────────────────────

/** At most one `sync-failed` notice per org in this window; later failures are on the status page. */
export const SYNC_FAILED_NOTICE_WINDOW_SECONDS = 15 * 60;

export const SYNC_FAILED_NOTICE_QUEUE = 'workplace.sync-failed-notice';

/**
 * `WorkplaceSyncFailed` → the org's admins (users.manage holders) get the `sync-failed` notice (in-app
 * and email), at most once per window per org, in one inbox transaction; then the org hears a live
 * `incident.opened` (the incidents module, SPEC §7, is not built yet: this event is the incident).
 */
export async function noticeSyncFailed(
  deps: Pick<WorkplaceDeps, 'db' | 'realtime' | 'log'> & { consumer?: string; webBaseUrl?: string },
  event: EnvelopeOf<typeof WorkplaceSyncFailed>,
): Promise<{ processed: boolean; notified: number; suppressed: boolean }> {
  const log = deps.log ?? silentLog;
  const orgId = event.orgId;
  if (!orgId) return { processed: false, notified: 0, suppressed: false };
  const { kind, externalId, error, attempts, entityId } = event.payload;
  const what = `${kind === 'space' ? 'Space' : 'Room'} ${externalId}`;
  const path = '/workplace/sync';
  const outcome = await consumeOnce(
    deps.db,
    { consumer: deps.consumer ?? SYNC_FAILED_NOTICE_QUEUE, eventId: event.eventId },
    async (trx) => {
      const window = await sql<{ org_id: string }>`
        UPDATE aims_connections SET last_failure_notice_at = now()
        WHERE org_id = ${orgId}
          AND (last_failure_notice_at IS NULL
               OR last_failure_notice_at < now() - make_interval(secs => ${SYNC_FAILED_NOTICE_WINDOW_SECONDS}))
        RETURNING org_id`.execute(trx);
      if (window.rows.length === 0) return { notified: 0, suppressed: true };
      const admins = await activeMembers(trx, { orgId, role: 'admin' }, { limit: 200 });
      for (const admin of admins) {
        for (const channel of ['in_app', 'email'] as const) {
          await enqueueNotification(trx, {
            orgId,
            channel,
            to: { userId: admin.userId },
            templateKey: 'sync-failed',
            variables: {
              what,
              error,
              url:
                channel === 'email' && deps.webBaseUrl
                  ? `${deps.webBaseUrl.replace(/\/$/, '')}${path}`
                  : path,
            },
          });
        }
      }
      return { notified: admins.length, suppressed: false };
    },
  );
  if (!outcome.processed) return { processed: false, notified: 0, suppressed: false };
  await publishQuietly(
    deps.realtime,
    {
      orgId,
      type: 'incident.opened',
      payload: {
        source: 'workplace.sync',
        eventId: event.eventId,
        title: `AIMS sync failed: ${what}`,
        severity: 'high',
        url: path,
        kind,
        entityId,
        externalId,
        attempts,
        error,
      },
      audience: { permission: 'workplace.sync' },
    },
    log,
  );
  return { processed: true, ...outcome.result };
}

// ── The job ───────────────────────────────────────────────────────────────────────────────────────

export interface ArticleSyncJob {
  /** 1 on the first attempt. */
  attempt: number;
  /** Attempts this job may use (SYNC_ATTEMPTS), at most its queue's retry limit + 1. */
  budget: number;
}

/**
 * One attempt of a sync job (the worker's `workplace.sync-space` / `workplace.sync-room` handlers):
 * - success, deletion, no connection, or the org paused → the job completes;
 * - a failure while the org got paused meanwhile (the probe saw AIMS go down) → `deferred` too:
 *   the outage is the probe's business, not this job's budget;
 * - a permanent AIMS failure, or the last attempt of the budget → the row becomes `failed`,
 *   `WorkplaceSyncFailed` is written, and an UNPROCESSABLE error sends the job to the dead letter at
 *   once (the job runner's rule), from where Ops can redrive it;
 * - any other failure → the row shows the error and the error is thrown: pg-boss retries with backoff.
 */
export async function runArticleSyncJob(
  deps: WorkplaceDeps,
  request: ArticleSyncRequest,
  job: ArticleSyncJob,
): Promise<ArticleSyncOutcome> {
  try {
    return await syncArticle(deps, request);
  } catch (error) {
    if (request.signal?.aborted) throw error;
    const permanent = isPermanentSyncError(error);
    if (!permanent) {
      const connection = await findConnection(deps.db, request.orgId);
      if (connection?.paused) {
        await recordSyncRetry(deps, request, error);
        return { outcome: 'deferred' };
      }
    }
    if (permanent || job.attempt >= job.budget) {
      await recordSyncFailure(deps, request, error, job.attempt);
      throw budgetSpent(error, job.attempt);
    }
    await recordSyncRetry(deps, request, error);
    throw error;
  }
}
