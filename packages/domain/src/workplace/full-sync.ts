import type { Database, SyncRunsTable } from '@atrium/db';
import { type Kysely, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import type { AimsArticle, AimsListedArticle } from '../aims/types.ts';
import { appendAudit } from '../audit/append.ts';
import { NotFoundError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { systemClock } from '../platform/clock.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import { keysetPage } from '../platform/keyset.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { publishQuietly } from '../realtime/publishers.ts';
import { scoped } from '../tenancy/scoped.ts';
import { roomArticle, sameArticle, spaceArticle } from './articles.ts';
import {
  aimsClientsOf,
  type FieldMapping,
  findConnection,
  type WorkplaceDeps,
  ZFieldMapping,
} from './connection.ts';
import { FullSyncRequested, SYNC_RUN_AGGREGATE } from './events.ts';
import { type EntityData, storedData, ZIdInput } from './inputs.ts';
import { requestRoomSync, requestSpaceSync } from './sync-requests.ts';

export type SyncRunRow = Selectable<SyncRunsTable>;

/** A `running` run older than this is taken as abandoned (its job's expiry is 30 minutes). */
const ABANDONED_AFTER_MS = 35 * 60 * 1000;
export const SYNC_ENTITIES = ['spaces', 'rooms'] as const;
export type SyncEntity = (typeof SYNC_ENTITIES)[number];

export const ZTriggerSyncInput = z.object({
  entities: z
    .array(z.enum(SYNC_ENTITIES))
    .min(1, { message: 'Choose spaces, rooms or both' })
    .max(2)
    .default(['spaces', 'rooms'])
    .transform((list) => [...new Set(list)]),
});
export type TriggerSyncInput = z.input<typeof ZTriggerSyncInput>;

export const ZListRunsInput = z.object({
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(20),
});
export type ListRunsInput = z.input<typeof ZListRunsInput>;

export interface SyncRunView {
  id: string;
  trigger: 'manual' | 'schedule';
  entities: string[];
  status: 'running' | 'succeeded' | 'failed';
  downloaded: number;
  uploaded: number;
  deleted: number;
  conflicts: number;
  errors: number;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

function runView(row: SyncRunRow): SyncRunView {
  return {
    id: row.id,
    trigger: row.trigger,
    entities: row.entities,
    status: row.status,
    downloaded: row.downloaded,
    uploaded: row.uploaded,
    deleted: row.deleted,
    conflicts: row.conflicts,
    errors: row.errors,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/**
 * Starts a full sync of the org unless one is running (one per org: a partial unique index, so two
 * triggers at once make one run; the second caller gets the running one). The run itself is a job of
 * `workplace.full-sync` (FullSyncRequested).
 */
export async function startFullSync(
  db: Kysely<Database>,
  input: {
    orgId: string;
    trigger: 'manual' | 'schedule';
    entities: SyncEntity[];
    requestedBy: string | null;
  },
): Promise<{ runId: string; alreadyRunning: boolean }> {
  // A run whose worker died never finishes: past its job's bound (30 min) it no longer blocks the org.
  await scoped(db, input.orgId)
    .updateTable('sync_runs')
    .set({ status: 'failed', error: 'Abandoned: the run did not finish in time', finished_at: new Date() })
    .where('status', '=', 'running')
    .where('started_at', '<', new Date(Date.now() - ABANDONED_AFTER_MS))
    .execute();
  const running = async () =>
    scoped(db, input.orgId)
      .selectFrom('sync_runs')
      .select('id')
      .where('status', '=', 'running')
      .executeTakeFirst();
  const existing = await running();
  if (existing) return { runId: existing.id, alreadyRunning: true };
  try {
    return await db.transaction().execute(async (trx) => {
      const run = await scoped(trx, input.orgId)
        .insertInto('sync_runs', {
          trigger: input.trigger,
          entities: input.entities,
          requested_by: input.requestedBy,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await writeOutboxEvent(trx, {
        orgId: input.orgId,
        type: FullSyncRequested,
        aggregateType: SYNC_RUN_AGGREGATE,
        aggregateId: run.id,
        payload: { runId: run.id, entities: input.entities },
      });
      if (input.trigger === 'manual' && input.requestedBy) {
        await appendAudit(trx, {
          orgId: input.orgId,
          actorId: input.requestedBy,
          action: 'workplace.sync.triggered',
          resourceType: 'workplace.sync_run',
          resourceId: run.id,
          payload: { entities: input.entities },
        });
      }
      return { runId: run.id, alreadyRunning: false };
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const other = await running();
    if (other) return { runId: other.id, alreadyRunning: true };
    throw error;
  }
}

/** `workplace.sync.trigger {entities}`: 202 with the run id (the run happens in the worker). */
export async function triggerFullSync(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: TriggerSyncInput,
): Promise<{ runId: string; alreadyRunning: boolean }> {
  const input = validateInput(ZTriggerSyncInput, rawInput);
  const connection = await findConnection(deps.db, session.orgId);
  if (!connection) throw new NotFoundError('AIMS connection');
  return startFullSync(deps.db, {
    orgId: session.orgId,
    trigger: 'manual',
    entities: input.entities,
    requestedBy: session.userId,
  });
}

export async function listSyncRuns(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: ListRunsInput,
): Promise<{ items: SyncRunView[]; nextCursor: string | null }> {
  const input = validateInput(ZListRunsInput, rawInput);
  let query = scoped(deps.db, session.orgId)
    .selectFrom('sync_runs')
    .selectAll()
    .select(sql<string>`started_at::text`.as('started_text'))
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (input.cursor) {
    const { at, id } = decodeTimeIdCursor(input.cursor);
    query = query.where(sql<boolean>`(started_at, id) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query.execute();
  return keysetPage(
    rows,
    input.limit,
    (row) => runView(row as SyncRunRow),
    (last) => encodeTimeIdCursor(last.started_text, last.id),
  );
}

export async function getSyncRun(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: { id: string },
): Promise<SyncRunView> {
  const { id } = validateInput(ZIdInput, rawInput);
  const row = await scoped(deps.db, session.orgId)
    .selectFrom('sync_runs')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Sync run');
  return runView(row as SyncRunRow);
}

// ── The run ───────────────────────────────────────────────────────────────────────────────────────

const UPLOAD_BATCH = 500;

interface LocalArticle {
  kind: 'space' | 'room';
  id: string;
  externalId: string;
  updatedAt: Date;
  article: AimsArticle;
  /** Its label code is not linked on AIMS yet: the per-article sync links it (and flips a room's page). */
  needsLink: boolean;
}

/**
 * Runs a full sync (the `workplace.full-sync` handler): downloads every AIMS article of the store
 * (paged), compares each with the database, resolves conflicts by the org's strategy, pushes local
 * changes in batches of 500 and records `{downloaded, uploaded, deleted, conflicts, errors}`. Live:
 * `sync.progress` after each page and batch, `sync.completed` at the end.
 *
 * - An article AIMS lacks is uploaded; one that matches marks its row synced.
 * - A difference is a conflict: `server_wins` uploads ours; `aims_wins` takes AIMS's fields into the
 *   row (a space's own fields, a room's name and meeting); `newest_wins` compares our `updated_at`
 *   with AIMS's `lastUpdated`.
 * - An article with no row: deleted under `server_wins` / `newest_wins` (only when both spaces and
 *   rooms are synced — otherwise whose it is cannot be told), imported under `aims_wins` (a `C` id as
 *   a room when rooms are synced, otherwise as a space).
 */
export async function runFullSync(
  deps: WorkplaceDeps,
  input: { orgId: string; runId: string; signal?: AbortSignal },
): Promise<SyncRunView> {
  const { orgId, runId } = input;
  const scope = scoped(deps.db, orgId);
  const run = (await scope.selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirst()) as
    | SyncRunRow
    | undefined;
  if (!run) throw new NotFoundError('Sync run');
  if (run.status !== 'running') return runView(run);
  const counts = { downloaded: 0, uploaded: 0, deleted: 0, conflicts: 0, errors: 0 };
  const progress = (phase: string) =>
    publishQuietly(
      deps.realtime,
      {
        orgId,
        type: 'sync.progress',
        payload: { runId, phase, ...counts },
        audience: { permission: 'workplace.sync' },
      },
      deps.log,
    );
  let failure: string | null = null;
  try {
    const connection = await findConnection(deps.db, orgId);
    if (!connection) throw new Error('The org has no AIMS connection');
    if (connection.paused) throw new Error('AIMS is down; the sync will run when it is back');
    const client = aimsClientsOf(deps).forConnection(connection);
    const options = input.signal ? { signal: input.signal } : {};
    const mapping = ZFieldMapping.catch({}).parse(connection.field_mapping);
    const strategy = connection.conflict_strategy;
    const entities = new Set(run.entities);
    const startedAt = (deps.clock ?? systemClock).now();

    const remote = new Map<string, AimsListedArticle>();
    for await (const page of client.articlePages({ ...options, size: 500 })) {
      for (const article of page.articles) remote.set(article.articleId, article);
      counts.downloaded += page.articles.length;
      await progress('download');
    }

    const local = await loadLocal(deps.db, orgId, entities, mapping);
    const toUpload: LocalArticle[] = [];
    const inStep: LocalArticle[] = [];
    const takeRemote: Array<{ local: LocalArticle; remote: AimsListedArticle }> = [];
    for (const entry of local) {
      const theirs = remote.get(entry.article.articleId);
      remote.delete(entry.article.articleId);
      if (!theirs) toUpload.push(entry);
      else if (sameArticle(entry.article, theirs)) inStep.push(entry);
      else {
        counts.conflicts += 1;
        const aimsNewer =
          theirs.lastUpdated !== null && Date.parse(theirs.lastUpdated) > entry.updatedAt.getTime();
        if (strategy === 'aims_wins' || (strategy === 'newest_wins' && aimsNewer))
          takeRemote.push({ local: entry, remote: theirs });
        else toUpload.push(entry);
      }
    }

    // AIMS's side into our rows (no sync is requested: the rows now say what AIMS shows).
    for (const { local: entry, remote: theirs } of takeRemote)
      await adoptRemote(deps.db, orgId, entry, theirs, mapping);

    // Articles nobody here owns.
    const orphans = [...remote.values()];
    if (strategy === 'aims_wins') {
      for (const article of orphans) {
        const asRoom =
          entities.has('rooms') && article.articleId.startsWith('C') && article.articleId.length > 1;
        if (!asRoom && !entities.has('spaces')) continue;
        await importOrphan(deps.db, orgId, article, asRoom);
      }
    } else if (entities.has('spaces') && entities.has('rooms') && orphans.length > 0) {
      for (let i = 0; i < orphans.length; i += UPLOAD_BATCH) {
        const ids = orphans.slice(i, i + UPLOAD_BATCH).map((article) => article.articleId);
        try {
          await client.deleteArticles(ids, options);
          counts.deleted += ids.length;
        } catch (error) {
          counts.errors += ids.length;
          failure ??= error instanceof Error ? error.message : String(error);
        }
        await progress('delete');
      }
    }

    const synced: LocalArticle[] = [...inStep];
    for (let i = 0; i < toUpload.length; i += UPLOAD_BATCH) {
      const batch = toUpload.slice(i, i + UPLOAD_BATCH);
      try {
        await client.upsertArticles(
          batch.map((entry) => entry.article),
          options,
        );
        counts.uploaded += batch.length;
        synced.push(...batch);
      } catch (error) {
        counts.errors += batch.length;
        failure ??= error instanceof Error ? error.message : String(error);
      }
      await progress('upload');
    }
    await markRowsSynced(
      deps.db,
      orgId,
      synced.filter((row) => !row.needsLink),
      startedAt,
    );
    // Labels are linked by the per-article sync (coalesced with any job already waiting). Rows edited
    // since the run read them may have been overwritten by this run's upload with what it read: their
    // per-article sync runs again after it.
    const uploadedIds = new Set(toUpload.map((row) => row.id));
    const editedSince = new Set(
      [
        ...(await scoped(deps.db, orgId)
          .selectFrom('spaces')
          .select('id')
          .where('updated_at', '>', startedAt)
          .execute()),
        ...(await scoped(deps.db, orgId)
          .selectFrom('conference_rooms')
          .select('id')
          .where('updated_at', '>', startedAt)
          .execute()),
      ]
        .map((row) => row.id)
        .filter((id) => uploadedIds.has(id)),
    );
    const toLink = local.filter((row) => row.needsLink || editedSince.has(row.id));
    if (toLink.length > 0) {
      await deps.db.transaction().execute(async (trx) => {
        for (const row of toLink) {
          if (row.kind === 'space') await requestSpaceSync(trx, orgId, row.externalId, 'requeued');
          else await requestRoomSync(trx, orgId, row.externalId, 'requeued');
        }
      });
    }
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    if (counts.errors === 0) counts.errors = 1;
  }
  const finished = (await scope
    .updateTable('sync_runs')
    .set({
      ...counts,
      status: failure ? 'failed' : 'succeeded',
      error: failure?.slice(0, 2_000) ?? null,
      finished_at: (deps.clock ?? systemClock).now(),
    })
    .where('id', '=', runId)
    .returningAll()
    .executeTakeFirstOrThrow()) as SyncRunRow;
  await publishQuietly(
    deps.realtime,
    {
      orgId,
      type: 'sync.completed',
      payload: { runId, status: finished.status, error: finished.error, ...counts },
      audience: { permission: 'workplace.sync' },
    },
    deps.log,
  );
  return runView(finished);
}

async function loadLocal(
  db: Kysely<Database>,
  orgId: string,
  entities: Set<string>,
  mapping: FieldMapping,
): Promise<LocalArticle[]> {
  const result: LocalArticle[] = [];
  if (entities.has('spaces')) {
    const spaces = await scoped(db, orgId)
      .selectFrom('spaces')
      .leftJoin('people', (join) =>
        join.onRef('people.assigned_space_id', '=', 'spaces.id').onRef('people.org_id', '=', 'spaces.org_id'),
      )
      .select([
        'spaces.id',
        'spaces.external_id',
        'spaces.label_code',
        'spaces.linked_label_code',
        'spaces.data',
        'spaces.updated_at',
        'people.id as person_id',
        'people.external_id as person_external_id',
        'people.data as person_data',
      ])
      .execute();
    for (const space of spaces) {
      result.push({
        kind: 'space',
        id: space.id,
        externalId: space.external_id,
        needsLink: space.label_code !== null && space.label_code !== space.linked_label_code,
        updatedAt: space.updated_at,
        article: spaceArticle(
          {
            externalId: space.external_id,
            labelCode: space.label_code,
            data: storedData(space.data),
            person: space.person_id
              ? { externalId: space.person_external_id, data: storedData(space.person_data) }
              : null,
          },
          mapping,
        ),
      });
    }
  }
  if (entities.has('rooms')) {
    const rooms = await scoped(db, orgId).selectFrom('conference_rooms').selectAll().execute();
    for (const room of rooms) {
      result.push({
        kind: 'room',
        id: room.id,
        externalId: room.external_id,
        needsLink: room.label_code !== null && room.label_code !== room.linked_label_code,
        updatedAt: room.updated_at,
        article: roomArticle({
          externalId: room.external_id,
          roomName: room.room_name,
          hasMeeting: room.has_meeting,
          meetingName: room.meeting_name,
          startTime: room.start_time,
          endTime: room.end_time,
          participants: room.participants,
        }),
      });
    }
  }
  return result;
}

/** Rows whose article AIMS now shows become `synced` — unless they changed after the run started. */
async function markRowsSynced(
  db: Kysely<Database>,
  orgId: string,
  rows: LocalArticle[],
  startedAt: Date,
): Promise<void> {
  for (const [kind, table] of [
    ['space', 'spaces'],
    ['room', 'conference_rooms'],
  ] as const) {
    const ids = rows.filter((row) => row.kind === kind).map((row) => row.id);
    for (let i = 0; i < ids.length; i += 5_000) {
      await scoped(db, orgId)
        .updateTable(table)
        .set({ sync_status: 'synced', sync_error: null, last_synced_at: startedAt })
        .where('id', 'in', ids.slice(i, i + 5_000))
        .where('updated_at', '<=', startedAt)
        .where('sync_status', '<>', 'synced')
        .execute();
    }
  }
}

function remoteData(article: AimsListedArticle): EntityData {
  return storedData(article.data);
}

async function adoptRemote(
  db: Kysely<Database>,
  orgId: string,
  entry: LocalArticle,
  theirs: AimsListedArticle,
  mapping: FieldMapping,
): Promise<void> {
  const data = remoteData(theirs);
  if (entry.kind === 'room') {
    const meeting = data.MEETING === '1' || data.MEETING === 1 || data.MEETING === true;
    await scoped(db, orgId)
      .updateTable('conference_rooms')
      .set({
        room_name: theirs.articleName || String(data.ROOM_NAME ?? ''),
        has_meeting: meeting,
        meeting_name: meeting ? String(data.MEETING_NAME ?? '') || null : null,
        start_time: meeting ? validTime(data.START_TIME) : null,
        end_time: meeting ? validTime(data.END_TIME) : null,
        participants: meeting
          ? String(data.PARTICIPANTS ?? '')
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean)
          : [],
        sync_status: 'synced',
        sync_error: null,
      })
      .where('id', '=', entry.id)
      .execute();
    return;
  }
  // A space keeps what comes from its person; its own fields take AIMS's values.
  const row = await scoped(db, orgId)
    .selectFrom('spaces')
    .select('data')
    .where('id', '=', entry.id)
    .executeTakeFirst();
  if (!row) return;
  const own = storedData(row.data);
  let next: EntityData;
  if (Object.keys(mapping).length === 0) {
    next = { ...own };
    for (const key of Object.keys(own)) if (key in data) next[key] = data[key] ?? null;
  } else {
    next = { ...own };
    for (const [field, source] of Object.entries(mapping)) {
      const [entity, key] = source.split('.', 2) as [string, string];
      if (entity === 'space' && key !== 'externalId' && key !== 'labelCode' && field in data)
        next[key] = data[field] ?? null;
    }
  }
  await scoped(db, orgId)
    .updateTable('spaces')
    .set({ data: JSON.stringify(next), sync_status: 'synced', sync_error: null })
    .where('id', '=', entry.id)
    .execute();
}

function validTime(value: unknown): string | null {
  return typeof value === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(value) ? value : null;
}

async function importOrphan(
  db: Kysely<Database>,
  orgId: string,
  article: AimsListedArticle,
  asRoom: boolean,
): Promise<void> {
  const data = remoteData(article);
  if (asRoom) {
    await scoped(db, orgId)
      .insertInto('conference_rooms', {
        external_id: article.articleId.slice(1),
        room_name: article.articleName || article.articleId,
        sync_status: 'synced',
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    return;
  }
  const { ASSIGNED: _assigned, ...own } = data;
  await scoped(db, orgId)
    .insertInto('spaces', {
      external_id: article.articleId,
      data: JSON.stringify(own),
      sync_status: 'synced',
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}
