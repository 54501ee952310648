import type { DatasetItemType } from '@atrium/db';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { NotFoundError } from '../errors.ts';
import { systemClock } from '../platform/clock.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import { dispositionFor } from '../platform/object-storage.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { DatasetDeps } from './deps.ts';
import { assetRefs, DATASET_ITEM_TYPES } from './item-types.ts';
import { type DatasetItemView, type DatasetView, datasetView, itemView } from './views.ts';

/**
 * Reading datasets (SPEC §5, `datasets.read`). Readers see published datasets; publishers
 * (`datasets.ingest`) also see drafts. Another org's dataset, item or asset — or a draft, for a
 * reader — is 404: whether it exists is not theirs to learn.
 */

const ZLimit = z.number().int().min(1).max(100).default(25);

export const ZListDatasetsInput = z.object({
  status: z.enum(['draft', 'published', 'archived']).optional(),
  cursor: ZCursorField.optional(),
  limit: ZLimit,
});
export type ListDatasetsInput = z.input<typeof ZListDatasetsInput>;

export const ZDatasetIdInput = z.object({ id: z.uuid() });
export const ZItemTypeCountsInput = z.object({ datasetId: z.uuid() });

export const ZListItemsInput = z.object({
  datasetId: z.uuid(),
  type: z.enum(DATASET_ITEM_TYPES).optional(),
  tag: z.string().trim().min(1).max(64).optional(),
  cursor: ZCursorField.optional(),
  limit: ZLimit,
});
export type ListItemsInput = z.input<typeof ZListItemsInput>;

export const ZItemIdInput = z.object({ id: z.uuid() });

/** SPEC §5: asset links live 60–300 s. */
export const MIN_ASSET_URL_SECONDS = 60;
export const MAX_ASSET_URL_SECONDS = 300;

export const ZSignedUrlInput = z.object({
  assetId: z.uuid(),
  expiresInSeconds: z.number().int().min(MIN_ASSET_URL_SECONDS).max(MAX_ASSET_URL_SECONDS).default(120),
  download: z.boolean().default(false),
});
export type SignedUrlInput = z.input<typeof ZSignedUrlInput>;

const isPublisher = (session: Session) => session.permissions.has('datasets.ingest');

function visibleDatasets(deps: Pick<DatasetDeps, 'db'>, session: Session) {
  const query = scoped(deps.db, session.orgId).selectFrom('datasets');
  return isPublisher(session) ? query : query.where('datasets.status', '<>', 'draft');
}

/** `datasets.list {status?, cursor, limit}`: newest first, keyset on (created_at, id). */
export async function listDatasets(
  deps: Pick<DatasetDeps, 'db'>,
  session: Session,
  rawInput: ListDatasetsInput = {},
): Promise<{ items: DatasetView[]; nextCursor: string | null }> {
  const { status, cursor, limit } = validateInput(ZListDatasetsInput, rawInput);
  let query = visibleDatasets(deps, session)
    .selectAll()
    .select(sql<string>`datasets.created_at::text`.as('created_at_text'))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (status) query = query.where('status', '=', status);
  if (cursor) {
    const after = decodeTimeIdCursor(cursor);
    query = query.where(
      sql<boolean>`(datasets.created_at, datasets.id) < (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(datasetView),
    nextCursor: rows.length > limit && last ? encodeTimeIdCursor(last.created_at_text, last.id) : null,
  };
}

/** `datasets.get {id}`. */
export async function getDataset(
  deps: Pick<DatasetDeps, 'db'>,
  session: Session,
  rawInput: z.input<typeof ZDatasetIdInput>,
): Promise<DatasetView> {
  const { id } = validateInput(ZDatasetIdInput, rawInput);
  const row = await visibleDatasets(deps, session).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Dataset');
  return datasetView(row);
}

/** `datasets.itemTypeCounts {datasetId}`: how many items of each type (every type listed, zeros too). */
export async function itemTypeCounts(
  deps: Pick<DatasetDeps, 'db'>,
  session: Session,
  rawInput: z.input<typeof ZItemTypeCountsInput>,
): Promise<Record<DatasetItemType, number>> {
  const { datasetId } = validateInput(ZItemTypeCountsInput, rawInput);
  await getDataset(deps, session, { id: datasetId });
  const rows = await scoped(deps.db, session.orgId)
    .selectFrom('dataset_items')
    .select(['type', sql<string>`count(*)`.as('count')])
    .where('dataset_id', '=', datasetId)
    .groupBy('type')
    .execute();
  const counts = Object.fromEntries(DATASET_ITEM_TYPES.map((type) => [type, 0])) as Record<
    DatasetItemType,
    number
  >;
  for (const row of rows) counts[row.type] = Number(row.count);
  return counts;
}

/** `datasets.items {datasetId, type?, tag?, cursor, limit}`: in manifest order, keyset on (created_at, id). */
export async function listItems(
  deps: Pick<DatasetDeps, 'db'>,
  session: Session,
  rawInput: ListItemsInput,
): Promise<{ items: DatasetItemView[]; nextCursor: string | null }> {
  const { datasetId, type, tag, cursor, limit } = validateInput(ZListItemsInput, rawInput);
  await getDataset(deps, session, { id: datasetId });
  let query = scoped(deps.db, session.orgId)
    .selectFrom('dataset_items')
    .selectAll()
    .select(sql<string>`dataset_items.created_at::text`.as('created_at_text'))
    .where('dataset_id', '=', datasetId)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .limit(limit + 1);
  if (type) query = query.where('type', '=', type);
  if (tag) query = query.where(sql<boolean>`dataset_items.tags @> ARRAY[${tag}]::text[]`);
  if (cursor) {
    const after = decodeTimeIdCursor(cursor);
    query = query.where(
      sql<boolean>`(dataset_items.created_at, dataset_items.id) > (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(itemView),
    nextCursor: rows.length > limit && last ? encodeTimeIdCursor(last.created_at_text, last.id) : null,
  };
}

export interface AssetView {
  id: string;
  kind: string;
  fileName: string;
  contentType: string;
  byteSize: number;
  status: string;
}

/** `datasets.item {id}`: the item, its annotations and the assets it uses. */
export async function getItem(
  deps: Pick<DatasetDeps, 'db'>,
  session: Session,
  rawInput: z.input<typeof ZItemIdInput>,
): Promise<
  DatasetItemView & {
    annotations: Array<{ schema: 'timeline_v1' | 'captions_v1'; data: Record<string, unknown> }>;
    assets: AssetView[];
  }
> {
  const { id } = validateInput(ZItemIdInput, rawInput);
  const row = await scoped(deps.db, session.orgId)
    .selectFrom('dataset_items')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Item');
  try {
    await getDataset(deps, session, { id: row.dataset_id });
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError('Item');
    throw error;
  }
  const annotations = await scoped(deps.db, session.orgId)
    .selectFrom('annotations')
    .select(['schema', 'data'])
    .where('item_id', '=', id)
    .execute();
  const assetIds = [...new Set(assetRefs(row.type, row.payload).map((ref) => ref.assetId))];
  const assets =
    assetIds.length === 0
      ? []
      : await scoped(deps.db, session.orgId)
          .selectFrom('assets')
          .select(['id', 'kind', 'file_name', 'content_type', 'byte_size', 'status'])
          .where('dataset_id', '=', row.dataset_id)
          .where('id', 'in', assetIds)
          .execute();
  return {
    ...itemView(row),
    annotations,
    assets: assets.map((asset) => ({
      id: asset.id,
      kind: asset.kind,
      fileName: asset.file_name,
      contentType: asset.content_type,
      byteSize: Number(asset.byte_size),
      status: asset.status,
    })),
  };
}

/**
 * `assets.signedUrl {assetId}`: a GET link valid 60–300 s, served inline for images, audio and video
 * (an attachment for anything else, or when `download`), `Cache-Control: private, no-store`. The
 * asset's dataset must be published unless the caller is a publisher. Every link handed out is
 * logged in `asset_access_log` (who, when, from where).
 */
export async function signedAssetUrl(
  deps: DatasetDeps,
  session: Session,
  rawInput: SignedUrlInput,
  context: { ip: string | null },
): Promise<{ url: string; expiresAt: Date; contentType: string }> {
  const input = validateInput(ZSignedUrlInput, rawInput);
  let query = scoped(deps.db, session.orgId)
    .selectFrom('assets')
    .innerJoin('datasets', (join) =>
      join.onRef('datasets.id', '=', 'assets.dataset_id').onRef('datasets.org_id', '=', 'assets.org_id'),
    )
    .select(['assets.id', 'assets.storage_key', 'assets.content_type', 'assets.file_name'])
    .where('assets.id', '=', input.assetId);
  if (!isPublisher(session)) query = query.where('datasets.status', '<>', 'draft');
  const asset = await query.executeTakeFirst();
  if (!asset) throw new NotFoundError('Asset');
  const signed = await deps.storage.createDownloadUrl({
    key: asset.storage_key,
    expiresInSeconds: input.expiresInSeconds,
    fileName: asset.file_name,
    contentType: asset.content_type,
    disposition: dispositionFor(input.download ? 'attachment' : 'inline', asset.content_type),
  });
  await scoped(deps.db, session.orgId)
    .insertInto('asset_access_log', {
      asset_id: asset.id,
      user_id: session.userId,
      at: (deps.clock ?? systemClock).now(),
      ip: context.ip,
    })
    .execute();
  return { url: signed.url, expiresAt: signed.expiresAt, contentType: asset.content_type };
}
