import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { NotFoundError } from '../errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { type AimsConnectionView, connectionView, findConnection, type WorkplaceDeps } from './connection.ts';
import type { SyncRunView } from './full-sync.ts';
import { listSyncRuns } from './full-sync.ts';
import { requeueUnsyncedArticles } from './sync.ts';
import { requestRoomSync, requestSpaceSync } from './sync-requests.ts';

type Counts = Record<'pending' | 'syncing' | 'synced' | 'failed', number>;

export interface SyncStatusView {
  connection: AimsConnectionView | null;
  spaces: Counts;
  rooms: Counts;
  /** The items that gave up, newest first (at most 100). */
  failed: Array<{
    kind: 'space' | 'room';
    id: string;
    externalId: string;
    error: string | null;
    updatedAt: Date;
  }>;
  running: SyncRunView | null;
  lastRun: SyncRunView | null;
}

async function counts(
  deps: WorkplaceDeps,
  orgId: string,
  table: 'spaces' | 'conference_rooms',
): Promise<Counts> {
  const rows = await scoped(deps.db, orgId)
    .selectFrom(table)
    .select(({ fn }) => ['sync_status', fn.countAll<string>().as('n')])
    .groupBy('sync_status')
    .execute();
  const result: Counts = { pending: 0, syncing: 0, synced: 0, failed: 0 };
  for (const row of rows) result[row.sync_status] = Number(row.n);
  return result;
}

/** `workplace.sync.status`: the connection, sync counts, failed items and the current/last run. */
export async function getSyncStatus(deps: WorkplaceDeps, session: Session): Promise<SyncStatusView> {
  const orgId = session.orgId;
  const connection = await findConnection(deps.db, orgId);
  const [spaces, rooms] = await Promise.all([
    counts(deps, orgId, 'spaces'),
    counts(deps, orgId, 'conference_rooms'),
  ]);
  const failedSpaces = await scoped(deps.db, orgId)
    .selectFrom('spaces')
    .select(['id', 'external_id', 'sync_error', 'updated_at'])
    .where('sync_status', '=', 'failed')
    .orderBy('updated_at', 'desc')
    .limit(100)
    .execute();
  const failedRooms = await scoped(deps.db, orgId)
    .selectFrom('conference_rooms')
    .select(['id', 'external_id', 'sync_error', 'updated_at'])
    .where('sync_status', '=', 'failed')
    .orderBy('updated_at', 'desc')
    .limit(100)
    .execute();
  const failed = [
    ...failedSpaces.map((row) => ({
      kind: 'space' as const,
      id: row.id,
      externalId: row.external_id,
      error: row.sync_error,
      updatedAt: row.updated_at,
    })),
    ...failedRooms.map((row) => ({
      kind: 'room' as const,
      id: row.id,
      externalId: row.external_id,
      error: row.sync_error,
      updatedAt: row.updated_at,
    })),
  ]
    .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())
    .slice(0, 100);
  const runs = await listSyncRuns(deps, session, { limit: 2 });
  const running = runs.items.find((run) => run.status === 'running') ?? null;
  const lastRun = runs.items.find((run) => run.status !== 'running') ?? null;
  return {
    connection: connection ? connectionView(connection) : null,
    spaces,
    rooms,
    failed,
    running,
    lastRun,
  };
}

export const ZRetrySyncInput = z.object({
  /** One item; without, every failed item of the org. */
  item: z.object({ kind: z.enum(['space', 'room']), id: z.uuid() }).optional(),
});
export type RetrySyncInput = z.input<typeof ZRetrySyncInput>;

/** `workplace.sync.retry`: asks again for failed items (one, or all) with a fresh attempt budget. */
export async function retrySync(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: RetrySyncInput,
): Promise<{ spaces: number; rooms: number }> {
  const input = validateInput(ZRetrySyncInput, rawInput);
  if (!input.item)
    return requeueUnsyncedArticles(deps.db, session.orgId, { includeFailed: true, reason: 'retry' });
  const item = input.item;
  return deps.db.transaction().execute(async (trx) => {
    const table = item.kind === 'space' ? 'spaces' : 'conference_rooms';
    const row = await scoped(trx, session.orgId)
      .updateTable(table)
      .set({ sync_status: 'pending' })
      .where('id', '=', item.id)
      .returning('external_id')
      .executeTakeFirst();
    if (!row) throw new NotFoundError(item.kind === 'space' ? 'Space' : 'Conference room');
    if (item.kind === 'space') await requestSpaceSync(trx, session.orgId, row.external_id, 'retry');
    else await requestRoomSync(trx, session.orgId, row.external_id, 'retry');
    return item.kind === 'space' ? { spaces: 1, rooms: 0 } : { spaces: 0, rooms: 1 };
  });
}
