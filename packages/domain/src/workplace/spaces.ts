import type { Database, SpacesTable } from '@atrium/db';
import { type Kysely, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/append.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { ZCursorField } from '../platform/input-blocks.ts';
import { containsPattern, keysetPage } from '../platform/keyset.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { WorkplaceDeps } from './connection.ts';
import {
  type EntityData,
  externalIdCursor,
  storedData,
  ZEntityData,
  ZExternalId,
  ZIdInput,
  ZLabelCode,
  ZListLimit,
  ZSearchText,
} from './inputs.ts';
import { requestSpaceSync } from './sync-requests.ts';

export type SpaceRow = Selectable<SpacesTable>;

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────────

export const ZCreateSpaceInput = z.object({
  externalId: ZExternalId,
  labelCode: ZLabelCode.nullish(),
  templateName: z.string().trim().min(1).max(100).nullish(),
  data: ZEntityData.default({}),
});
export type CreateSpaceInput = z.input<typeof ZCreateSpaceInput>;

/** The external id is the article id: it cannot change (delete and create the space instead). */
export const ZUpdateSpaceInput = z.object({
  id: z.uuid(),
  labelCode: ZLabelCode.nullish(),
  templateName: z.string().trim().min(1).max(100).nullish(),
  data: ZEntityData.optional(),
});
export type UpdateSpaceInput = z.input<typeof ZUpdateSpaceInput>;

export const SYNC_STATUSES = ['pending', 'syncing', 'synced', 'failed'] as const;

export const ZListSpacesInput = z.object({
  q: ZSearchText.optional(),
  syncStatus: z.enum(SYNC_STATUSES).optional(),
  /** Only spaces nobody is assigned to (the space picker). */
  free: z.boolean().optional(),
  cursor: ZCursorField.optional(),
  limit: ZListLimit,
});
export type ListSpacesInput = z.input<typeof ZListSpacesInput>;

// ── Views ─────────────────────────────────────────────────────────────────────────────────────────

export interface SpaceView {
  id: string;
  externalId: string;
  labelCode: string | null;
  templateName: string | null;
  data: EntityData;
  syncStatus: SpaceRow['sync_status'];
  syncError: string | null;
  lastSyncedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  assignedPerson: { id: string; externalId: string | null; data: EntityData } | null;
}

type SpaceWithPerson = SpaceRow & {
  person_id: string | null;
  person_external_id: string | null;
  person_data: unknown;
};

function view(row: SpaceWithPerson): SpaceView {
  return {
    id: row.id,
    externalId: row.external_id,
    labelCode: row.label_code,
    templateName: row.template_name,
    data: storedData(row.data),
    syncStatus: row.sync_status,
    syncError: row.sync_error,
    lastSyncedAt: row.last_synced_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    assignedPerson: row.person_id
      ? { id: row.person_id, externalId: row.person_external_id, data: storedData(row.person_data) }
      : null,
  };
}

function spacesWithPerson(db: Kysely<Database>, orgId: string) {
  return scoped(db, orgId)
    .selectFrom('spaces')
    .leftJoin('people', (join) =>
      join.onRef('people.assigned_space_id', '=', 'spaces.id').onRef('people.org_id', '=', 'spaces.org_id'),
    )
    .selectAll('spaces')
    .select([
      'people.id as person_id',
      'people.external_id as person_external_id',
      'people.data as person_data',
    ]);
}

// ── Use cases ─────────────────────────────────────────────────────────────────────────────────────

/** `workplace.spaces.list`: by external id, keyset-paged; `q` matches the external id or any field. */
export async function listSpaces(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: ListSpacesInput,
): Promise<{ items: SpaceView[]; nextCursor: string | null }> {
  const input = validateInput(ZListSpacesInput, rawInput);
  let query = spacesWithPerson(deps.db, session.orgId)
    .orderBy('spaces.external_id')
    .orderBy('spaces.id')
    .limit(input.limit + 1);
  if (input.syncStatus) query = query.where('spaces.sync_status', '=', input.syncStatus);
  if (input.free) query = query.where('people.id', 'is', null);
  if (input.q) {
    const pattern = containsPattern(input.q);
    query = query.where((eb) =>
      eb.or([
        eb('spaces.external_id', 'ilike', pattern),
        eb(sql<string>`spaces.data::text`, 'ilike', pattern),
        eb(sql<string>`people.data::text`, 'ilike', pattern),
      ]),
    );
  }
  if (input.cursor) {
    const [externalId, id] = externalIdCursor.decode(input.cursor);
    query = query.where(sql<boolean>`(spaces.external_id, spaces.id) > (${externalId}, ${id}::uuid)`);
  }
  const rows = (await query.execute()) as SpaceWithPerson[];
  return keysetPage(rows, input.limit, view, (last) => externalIdCursor.encode([last.external_id, last.id]));
}

export async function getSpace(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: { id: string },
): Promise<SpaceView> {
  const { id } = validateInput(ZIdInput, rawInput);
  const row = (await spacesWithPerson(deps.db, session.orgId)
    .where('spaces.id', '=', id)
    .executeTakeFirst()) as SpaceWithPerson | undefined;
  if (!row) throw new NotFoundError('Space');
  return view(row);
}

async function reload(db: Kysely<Database>, orgId: string, id: string): Promise<SpaceView> {
  const row = (await spacesWithPerson(db, orgId)
    .where('spaces.id', '=', id)
    .executeTakeFirstOrThrow()) as SpaceWithPerson;
  return view(row);
}

/** `workplace.spaces.create`: 409 when the external id is taken; its article is synced. */
export async function createSpace(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: CreateSpaceInput,
): Promise<SpaceView> {
  const input = validateInput(ZCreateSpaceInput, rawInput);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await scoped(trx, session.orgId)
        .insertInto('spaces', {
          external_id: input.externalId,
          label_code: input.labelCode ?? null,
          template_name: input.templateName ?? null,
          data: JSON.stringify(input.data),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await requestSpaceSync(trx, session.orgId, input.externalId, 'created');
      return reload(trx, session.orgId, row.id);
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError(`A space with the id ${input.externalId} already exists`);
    throw error;
  }
}

/** `workplace.spaces.update`: label code, template and fields; the article is synced again. */
export async function updateSpace(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: UpdateSpaceInput,
): Promise<SpaceView> {
  const input = validateInput(ZUpdateSpaceInput, rawInput);
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction().execute(async (trx) => {
    const scope = scoped(trx, session.orgId);
    const row = await scope
      .updateTable('spaces')
      .set({
        ...(input.labelCode !== undefined ? { label_code: input.labelCode } : {}),
        ...(input.templateName !== undefined ? { template_name: input.templateName } : {}),
        ...(input.data !== undefined ? { data: JSON.stringify(input.data) } : {}),
        sync_status: 'pending',
        sync_error: null,
        updated_at: now,
      })
      .where('id', '=', input.id)
      .returning(['id', 'external_id'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Space');
    await requestSpaceSync(trx, session.orgId, row.external_id, 'updated');
    return reload(trx, session.orgId, row.id);
  });
}

/** `workplace.spaces.delete`: audited; its person is unassigned and its article deleted from AIMS. */
export async function deleteSpace(
  deps: WorkplaceDeps & { clock?: Clock },
  session: Session,
  rawInput: { id: string },
): Promise<{ id: string }> {
  const { id } = validateInput(ZIdInput, rawInput);
  return deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, session.orgId)
      .deleteFrom('spaces')
      .where('id', '=', id)
      .returning(['id', 'external_id', 'label_code', 'linked_label_code'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Space');
    await requestSpaceSync(trx, session.orgId, row.external_id, 'deleted');
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'workplace.space.deleted',
        resourceType: 'workplace.space',
        resourceId: row.id,
        payload: { externalId: row.external_id },
      },
      { clock: deps.clock ?? systemClock },
    );
    return { id: row.id };
  });
}
