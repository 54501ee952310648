import type { Database, DatasetItemType } from '@atrium/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { systemClock } from '../platform/clock.ts';
import { createObjectKey, MAX_UPLOAD_BYTES } from '../platform/object-storage.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { DatasetDeps } from './deps.ts';
import {
  DATASET_AGGREGATE,
  DatasetDraftCreated,
  DatasetPublished,
  PUBLISH_PROGRESS_EVENT,
} from './events.ts';
import {
  type AssetRef,
  assetKindOf,
  assetRefs,
  DATASET_ITEM_TYPES,
  ITEM_PAYLOAD_SCHEMAS,
  splitAnnotations,
} from './item-types.ts';
import { type DatasetView, datasetView } from './views.ts';

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────────

const ZTag = z.string().trim().min(1).max(64);
const ZSha256 = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[0-9a-f]{64}$/, { error: 'A SHA-256 is 64 hexadecimal characters' });
const ZMediaType = z
  .string()
  .trim()
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/, {
    error: 'Enter a media type such as image/png',
  });

export const ZCreateDatasetInput = z.object({
  name: z.string().trim().min(1, { error: 'Give the dataset a name' }).max(200),
  description: z.string().trim().max(5_000).default(''),
  tags: z.array(ZTag).max(20).default([]),
});
export type CreateDatasetInput = z.input<typeof ZCreateDatasetInput>;

/** Most files one `requestUploads` call may sign (the wizard sends bigger selections in batches). */
export const MAX_UPLOADS_PER_REQUEST = 500;
/** How long a signed upload URL stays valid: long enough for a large video on a slow line. */
export const UPLOAD_URL_SECONDS = 3_600;

export const ZRequestUploadsInput = z.object({
  datasetId: z.uuid(),
  files: z
    .array(
      z.object({
        name: z.string().trim().min(1).max(255),
        contentType: ZMediaType,
        byteSize: z.number().int().min(1).max(MAX_UPLOAD_BYTES),
        sha256: ZSha256,
      }),
    )
    .min(1)
    .max(MAX_UPLOADS_PER_REQUEST),
});
export type RequestUploadsInput = z.input<typeof ZRequestUploadsInput>;

/** Most items one manifest may hold. */
export const MAX_MANIFEST_ITEMS = 20_000;

/**
 * The manifest's outer shape only: each item's type, title and payload are checked by publish, which
 * answers 422 naming every item with a problem (SPEC §5) rather than 400 at the first.
 */
export const ZPublishInput = z.object({
  datasetId: z.uuid(),
  manifest: z.object({
    items: z
      .array(
        z.object({
          type: z.string().max(64),
          title: z.string().max(500),
          summary: z.string().max(5_000).optional(),
          tags: z.array(z.string().max(64)).max(20).optional(),
          payload: z.unknown(),
        }),
      )
      .min(1, { error: 'The manifest has no items' })
      .max(MAX_MANIFEST_ITEMS),
  }),
});
export type PublishInput = z.input<typeof ZPublishInput>;

// ── Use cases ─────────────────────────────────────────────────────────────────────────────────────

/** `ingest.createDataset`: a draft, owned by the org, that uploads and a manifest are added to. */
export async function createDataset(
  deps: Pick<DatasetDeps, 'db'>,
  session: Session,
  rawInput: CreateDatasetInput,
): Promise<DatasetView> {
  const input = validateInput(ZCreateDatasetInput, rawInput);
  return deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, session.orgId)
      .insertInto('datasets', {
        name: input.name,
        description: input.description,
        tags: [...new Set(input.tags)],
        created_by: session.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeOutboxEvent(trx, {
      orgId: session.orgId,
      type: DatasetDraftCreated,
      aggregateType: DATASET_AGGREGATE,
      aggregateId: row.id,
      payload: { datasetId: row.id, createdBy: session.userId },
    });
    return datasetView(row);
  });
}

export interface RequestedUpload {
  assetId: string;
  name: string;
  upload: { url: string; method: 'PUT'; headers: Record<string, string>; expiresAt: Date };
}

/**
 * `ingest.requestUploads`: one pending asset per file, each with a signed PUT for exactly its declared
 * size, type and SHA-256 (the store refuses other bytes where it can; publish checks again). Keys are
 * made here (`{org}/{uuid}/{name}`), never taken from the client.
 */
export async function requestUploads(
  deps: DatasetDeps,
  session: Session,
  rawInput: RequestUploadsInput,
): Promise<{ uploads: RequestedUpload[] }> {
  const input = validateInput(ZRequestUploadsInput, rawInput);
  const planned = input.files.map((file) => ({
    ...file,
    id: crypto.randomUUID(),
    key: createObjectKey({ orgId: session.orgId, fileName: file.name }),
    kind: assetKindOf(file.contentType),
  }));
  await deps.db.transaction().execute(async (trx) => {
    await lockDraft(trx, session.orgId, input.datasetId);
    await scoped(trx, session.orgId)
      .insertInto(
        'assets',
        planned.map((file) => ({
          id: file.id,
          dataset_id: input.datasetId,
          kind: file.kind,
          file_name: file.name,
          storage_key: file.key,
          content_type: file.contentType,
          byte_size: file.byteSize,
          sha256: file.sha256,
          created_by: session.userId,
        })),
      )
      .execute();
  });
  const uploads = await Promise.all(
    planned.map(async (file) => ({
      assetId: file.id,
      name: file.name,
      upload: await deps.storage.createUploadUrl({
        key: file.key,
        contentType: file.contentType,
        byteSize: file.byteSize,
        sha256: file.sha256,
        expiresInSeconds: UPLOAD_URL_SECONDS,
      }),
    })),
  );
  return { uploads };
}

/** One problem of one manifest item. */
export interface ItemProblem {
  path: string;
  message: string;
}

export interface ItemErrors {
  index: number;
  title: string;
  errors: ItemProblem[];
}

/** Items listed in a 422 (the count says how many there were in all). */
const MAX_LISTED_ITEM_ERRORS = 200;
/** Storage checks in flight at once (HEAD + hash lookups). */
const STORAGE_CONCURRENCY = 16;
/** Manifests with more assets than this report progress while their assets are checked. */
const PROGRESS_THRESHOLD = 200;
const PROGRESS_EVERY = 500;

interface CheckedItem {
  id: string;
  type: DatasetItemType;
  title: string;
  summary: string;
  tags: string[];
  payload: Record<string, unknown>;
  annotation: { schema: 'timeline_v1' | 'captions_v1'; data: unknown } | null;
}

/**
 * `ingest.publish {datasetId, manifest}` (SPEC §5). Every item is checked against its type's schema,
 * and every asset it references must be an asset of this draft (so of this org) of the right kind,
 * present in storage with the declared size and SHA-256. Any problem → 422 UNPROCESSABLE with
 * `details.items` naming each item and what is wrong, and nothing is written. Otherwise the items,
 * their annotations, the assets' status and the dataset's status change in one transaction with the
 * `DatasetPublished` event and the audit entry. A dataset that is not a draft any more → 409.
 *
 * Storage is checked before the transaction opens (no row lock is held across network calls); the
 * transaction then re-checks the draft under its row lock, so two concurrent publishes cannot both
 * succeed.
 */
export async function publishDataset(
  deps: DatasetDeps,
  session: Session,
  rawInput: PublishInput,
): Promise<DatasetView> {
  const input = validateInput(ZPublishInput, rawInput);
  const clock = deps.clock ?? systemClock;
  const dataset = await scoped(deps.db, session.orgId)
    .selectFrom('datasets')
    .select(['id', 'status'])
    .where('id', '=', input.datasetId)
    .executeTakeFirst();
  if (!dataset) throw new NotFoundError('Dataset');
  if (dataset.status !== 'draft') throw new ConflictError('This dataset has already been published');

  const problems = new Map<number, ItemProblem[]>();
  const complain = (index: number, problem: ItemProblem) => {
    const list = problems.get(index) ?? [];
    list.push(problem);
    problems.set(index, list);
  };

  // 1. Each item against its type's schema.
  const items: Array<CheckedItem | null> = input.manifest.items.map((item, index) => {
    const title = item.title.trim();
    if (!title) complain(index, { path: 'title', message: 'Give the item a title' });
    if (!(DATASET_ITEM_TYPES as readonly string[]).includes(item.type)) {
      complain(index, {
        path: 'type',
        message: `Unknown item type "${item.type}"; use one of ${DATASET_ITEM_TYPES.join(', ')}`,
      });
      return null;
    }
    const type = item.type as DatasetItemType;
    const parsed = ITEM_PAYLOAD_SCHEMAS[type].safeParse(item.payload);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 20))
        complain(index, { path: ['payload', ...issue.path.map(String)].join('.'), message: issue.message });
      return null;
    }
    const split = splitAnnotations(type, parsed.data as Record<string, unknown>);
    return {
      id: crypto.randomUUID(),
      type,
      title,
      summary: (item.summary ?? '').trim(),
      tags: [...new Set((item.tags ?? []).map((tag) => tag.trim()).filter(Boolean))],
      payload: split.payload,
      annotation: split.annotation,
    };
  });

  // 2. The assets they reference: this draft's, of the right kind.
  const refsByItem = items.map((item) => (item ? assetRefs(item.type, item.payload) : []));
  const assetIds = [...new Set(refsByItem.flat().map((ref) => ref.assetId))];
  const assets = new Map<string, { storage_key: string; kind: string; byte_size: string; sha256: string }>();
  for (let offset = 0; offset < assetIds.length; offset += 5_000) {
    const rows = await scoped(deps.db, session.orgId)
      .selectFrom('assets')
      .select(['id', 'storage_key', 'kind', 'byte_size', 'sha256'])
      .where('dataset_id', '=', input.datasetId)
      .where('id', 'in', assetIds.slice(offset, offset + 5_000))
      .execute();
    for (const row of rows) assets.set(row.id, row);
  }

  // 3. Each distinct asset in storage: present, declared size, declared SHA-256.
  const storageProblems = await checkAssetsInStorage(deps, session, input.datasetId, [...assets.entries()]);

  refsByItem.forEach((refs: AssetRef[], index) => {
    for (const ref of refs) {
      const asset = assets.get(ref.assetId);
      if (!asset) {
        complain(index, { path: ref.path, message: `Asset ${ref.assetId} was not uploaded to this dataset` });
        continue;
      }
      if (asset.kind !== ref.kind)
        complain(index, {
          path: ref.path,
          message: `Asset ${ref.assetId} is ${asset.kind}, not ${ref.kind}`,
        });
      const problem = storageProblems.get(ref.assetId);
      if (problem) complain(index, { path: ref.path, message: problem });
    }
  });

  if (problems.size > 0) {
    const listed: ItemErrors[] = [...problems.entries()]
      .sort(([a], [b]) => a - b)
      .slice(0, MAX_LISTED_ITEM_ERRORS)
      .map(([index, errors]) => ({ index, title: input.manifest.items[index]?.title ?? '', errors }));
    throw new UnprocessableError(
      `${problems.size} of ${input.manifest.items.length} items have problems; nothing was published`,
      { items: listed, invalidItemCount: problems.size },
    );
  }

  // 4. All or nothing.
  const valid = items as CheckedItem[];
  const publishedAt = clock.now();
  const published = await deps.db.transaction().execute(async (trx) => {
    await lockDraft(trx, session.orgId, input.datasetId);
    await insertItems(trx, session.orgId, input.datasetId, publishedAt, valid);
    if (assetIds.length > 0) {
      await scoped(trx, session.orgId)
        .updateTable('assets')
        .set({ status: 'available' })
        .where('dataset_id', '=', input.datasetId)
        .where('id', 'in', assetIds)
        .execute();
    }
    const row = await scoped(trx, session.orgId)
      .updateTable('datasets')
      .set({
        status: 'published',
        published_at: publishedAt,
        updated_at: publishedAt,
        item_count: valid.length,
      })
      .where('id', '=', input.datasetId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeOutboxEvent(trx, {
      orgId: session.orgId,
      type: DatasetPublished,
      aggregateType: DATASET_AGGREGATE,
      aggregateId: row.id,
      payload: {
        datasetId: row.id,
        publishedBy: session.userId,
        itemCount: valid.length,
        publishedAt: publishedAt.toISOString(),
      },
    });
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'dataset.published',
        resourceType: 'dataset',
        resourceId: row.id,
        payload: { name: row.name, itemCount: valid.length, assetCount: assetIds.length },
      },
      { clock },
    );
    return row;
  });
  await progress(deps, session, input.datasetId, {
    phase: 'published',
    done: valid.length,
    total: valid.length,
  });
  return datasetView(published);
}

/** The draft, locked for this transaction; 404 when it is not the org's, 409 when published. */
async function lockDraft(trx: Transaction<Database>, orgId: string, datasetId: string): Promise<void> {
  const row = await scoped(trx, orgId)
    .selectFrom('datasets')
    .select(['id', 'status'])
    .where('id', '=', datasetId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Dataset');
  if (row.status !== 'draft') throw new ConflictError('This dataset has already been published');
}

async function checkAssetsInStorage(
  deps: DatasetDeps,
  session: Session,
  datasetId: string,
  assets: Array<[string, { storage_key: string; byte_size: string; sha256: string }]>,
): Promise<Map<string, string>> {
  const problems = new Map<string, string>();
  const total = assets.length;
  const report = total > PROGRESS_THRESHOLD;
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < assets.length) {
      const entry = assets[next];
      next += 1;
      if (!entry) break;
      const [id, asset] = entry;
      const problem = await checkOne(deps, asset);
      if (problem) problems.set(id, problem);
      done += 1;
      if (report && done % PROGRESS_EVERY === 0)
        await progress(deps, session, datasetId, { phase: 'checking', done, total });
    }
  };
  await Promise.all(Array.from({ length: Math.min(STORAGE_CONCURRENCY, assets.length) }, worker));
  if (report) await progress(deps, session, datasetId, { phase: 'checking', done, total });
  return problems;
}

/**
 * What is wrong with one asset in storage, or null. The SHA-256 is the store's own (docs/datasets.md):
 * the local adapter's hash taken while the upload streamed to disk, S3's verified checksum, else the
 * object read and hashed.
 */
async function checkOne(
  deps: DatasetDeps,
  asset: { storage_key: string; byte_size: string; sha256: string },
): Promise<string | null> {
  const head = await deps.storage.head(asset.storage_key);
  if (!head) return 'This file has not been uploaded';
  if (head.byteSize !== Number(asset.byte_size))
    return `The uploaded file is ${head.byteSize} bytes, not the declared ${asset.byte_size}`;
  const sha256 = head.sha256 ?? (await deps.storage.sha256(asset.storage_key));
  if (sha256 !== asset.sha256) return 'The uploaded file does not match its declared SHA-256';
  return null;
}

async function progress(
  deps: DatasetDeps,
  session: Session,
  datasetId: string,
  state: { phase: 'checking' | 'published'; done: number; total: number },
): Promise<void> {
  if (!deps.realtime) return;
  try {
    await deps.realtime.publish({
      orgId: session.orgId,
      type: PUBLISH_PROGRESS_EVENT,
      payload: { datasetId, ...state },
      audience: { userIds: [session.userId] },
    });
  } catch {
    // Progress is a courtesy: a realtime hiccup never fails a publish.
  }
}

/** Rows per INSERT: a few statements for a big manifest, each well under PostgreSQL's limits. */
const INSERT_CHUNK = 2_000;

/**
 * Items in manifest order: item i is created at `publishedAt + i µs`, so the (created_at, id) keyset
 * the readers page on returns them in the order they were published.
 */
async function insertItems(
  trx: Kysely<Database>,
  orgId: string,
  datasetId: string,
  publishedAt: Date,
  items: CheckedItem[],
): Promise<void> {
  const at = publishedAt.toISOString();
  for (let offset = 0; offset < items.length; offset += INSERT_CHUNK) {
    const chunk = items.slice(offset, offset + INSERT_CHUNK);
    await sql`
      INSERT INTO dataset_items (id, org_id, dataset_id, type, title, summary, payload, tags, created_at)
      SELECT i.id, ${orgId}::uuid, ${datasetId}::uuid, i.type, i.title, i.summary, i.payload,
             ARRAY(SELECT jsonb_array_elements_text(i.tags)),
             ${at}::timestamptz + make_interval(secs => i.ord / 1000000.0)
      FROM unnest(${chunk.map((item) => item.id)}::uuid[], ${chunk.map((item) => item.type)}::text[],
                  ${chunk.map((item) => item.title)}::text[], ${chunk.map((item) => item.summary)}::text[],
                  ${chunk.map((item) => JSON.stringify(item.payload))}::jsonb[],
                  ${chunk.map((item) => JSON.stringify(item.tags))}::jsonb[],
                  ${chunk.map((_, index) => offset + index)}::int[])
           AS i(id, type, title, summary, payload, tags, ord)
    `.execute(trx);
    const annotated = chunk.filter((item) => item.annotation);
    if (annotated.length > 0) {
      await sql`
        INSERT INTO annotations (org_id, item_id, schema, data)
        SELECT ${orgId}::uuid, a.item_id, a.schema, a.data
        FROM unnest(${annotated.map((item) => item.id)}::uuid[],
                    ${annotated.map((item) => item.annotation?.schema ?? '')}::text[],
                    ${annotated.map((item) => JSON.stringify(item.annotation?.data ?? null))}::jsonb[])
             AS a(item_id, schema, data)
      `.execute(trx);
    }
  }
}
