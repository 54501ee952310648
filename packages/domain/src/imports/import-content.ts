import type { Database } from '@atrium/db';
import { type Selectable, sql } from 'kysely';
import { z } from 'zod';
import { loadAuthState, sessionFromAuthState } from '../access/authorization.ts';
import type { Session } from '../access/session.ts';
import { createContent, ZLanguage } from '../content/content.ts';
import { DUPLICATE_MEDIA, findContentByExternalUrl } from '../content/media.ts';
import { type ContentDeps, type ContentView, canSee, readContents, refreshCache } from '../content/store.ts';
import { ConflictError, isAppError, NotFoundError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { defineEvent } from '../events/registry.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { MAX_IMPORT_URL_LENGTH } from './import-url.ts';
import type { MediaProvider, ProviderConfig } from './media-provider.ts';
import { fetchMediaMetadata } from './registry.ts';

/**
 * Import by URL (SPEC §4, docs/imports.md): the provider registry reads the media's metadata and the
 * normal create flow makes a draft with external media from it.
 *
 * **An address the org already has** answers the existing content (`created: false`) when the caller
 * may see it (their own, a published one, or any for staff) — importing twice is then harmless and
 * idempotent; otherwise 409 CONFLICT (reason DUPLICATE_MEDIA) without naming it, so a creator never
 * learns about someone else's draft. A unique index on (org, external address) makes the same hold
 * for two imports racing each other.
 */
export interface ImportDeps extends ContentDeps {
  providers: ProviderConfig;
  /** Tests pass their own list; the registry's otherwise. */
  mediaProviders?: readonly MediaProvider[];
}

const ZUrl = z.string().min(1).max(MAX_IMPORT_URL_LENGTH);

export const ZImportByUrlInput = z.object({ url: ZUrl, language: ZLanguage.default('en') });
export type ImportByUrlInput = z.input<typeof ZImportByUrlInput>;

export const MAX_BULK_URLS = 500;
export const ZBulkImportInput = z.object({
  urls: z
    .array(ZUrl)
    .min(1, { message: 'Add at least one address' })
    .max(MAX_BULK_URLS, {
      message: `At most ${MAX_BULK_URLS} addresses at once`,
    }),
  language: ZLanguage.default('en'),
});
export type BulkImportInput = z.input<typeof ZBulkImportInput>;

export interface ImportResult {
  content: ContentView;
  created: boolean;
}

async function existingFor(deps: ImportDeps, session: Session, externalUrl: string): Promise<ImportResult> {
  const id = await findContentByExternalUrl(deps.db, session.orgId, externalUrl);
  const [view] = id ? await readContents(deps, [id]) : [];
  if (view && canSee(view, { orgId: session.orgId, session })) return { content: view, created: false };
  throw new ConflictError('This address is already in your library', { reason: DUPLICATE_MEDIA });
}

/** `imports.byUrl {url, language?}` (content.write). */
export async function importByUrl(
  deps: ImportDeps,
  session: Session,
  rawInput: ImportByUrlInput,
): Promise<ImportResult> {
  const input = validateInput(ZImportByUrlInput, rawInput);
  const media = await fetchMediaMetadata(
    { config: deps.providers, ...(deps.mediaProviders ? { providers: deps.mediaProviders } : {}) },
    input.url,
  );
  if (await findContentByExternalUrl(deps.db, session.orgId, media.externalUrl)) {
    return existingFor(deps, session, media.externalUrl);
  }
  try {
    const content = await createContent(deps, session, {
      title: media.title,
      description: media.description ?? '',
      language: input.language,
      durationSeconds: media.durationSeconds ?? null,
      media: {
        mediaType: media.mediaType,
        externalUrl: media.externalUrl,
        thumbnailUrl: media.thumbnailUrl ?? null,
      },
    });
    await refreshCache(deps, content.id, content.version, content);
    return { content, created: true };
  } catch (error) {
    if (error instanceof ConflictError && error.details?.reason === DUPLICATE_MEDIA) {
      return existingFor(deps, session, media.externalUrl);
    }
    throw error;
  }
}

/** One line of a bulk import's result table. */
export type BulkImportLine =
  | { url: string; outcome: 'created' | 'existing'; contentId: string; title: string }
  | { url: string; outcome: 'failed'; code: string; message: string };

export interface BulkImportProgress {
  done: number;
  total: number;
  line: BulkImportLine;
}

export const IMPORT_BATCH_AGGREGATE = 'import_batch';

/** A bulk import was asked for; the `imports.bulk` job works through it. */
export const ImportBatchRequested = defineEvent('ImportBatchRequested', z.object({ batchId: z.uuid() }));

export interface ImportBatchView {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  total: number;
  done: number;
  results: BulkImportLine[];
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * `imports.bulk {urls ≤ 500, language?}` (content.write): records the batch and its
 * ImportBatchRequested event in one transaction; the worker imports the addresses one by one and
 * records a result line for each (`imports.status` reads them, `imports.progress` events announce them).
 */
export async function requestBulkImport(
  deps: Pick<ContentDeps, 'db'>,
  session: Session,
  rawInput: BulkImportInput,
): Promise<ImportBatchView> {
  const input = validateInput(ZBulkImportInput, rawInput);
  return deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, session.orgId)
      .insertInto('import_batches', {
        user_id: session.userId,
        language: input.language,
        urls: JSON.stringify(input.urls),
        total: input.urls.length,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeOutboxEvent(trx, {
      orgId: session.orgId,
      type: ImportBatchRequested,
      aggregateType: IMPORT_BATCH_AGGREGATE,
      aggregateId: row.id,
      payload: { batchId: row.id },
    });
    return batchView(row);
  });
}

function batchView(row: Selectable<Database['import_batches']>): ImportBatchView {
  const results = row.results as BulkImportLine[];
  return {
    id: row.id,
    status: row.status,
    total: row.total,
    done: results.length,
    results,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const ZImportStatusInput = z.object({ id: z.uuid() });

/** `imports.status {id}`: the caller's own batch (anyone else's: 404), with the lines done so far. */
export async function getImportBatch(
  deps: Pick<ContentDeps, 'db'>,
  session: Session,
  rawInput: z.input<typeof ZImportStatusInput>,
): Promise<ImportBatchView> {
  const { id } = validateInput(ZImportStatusInput, rawInput);
  const row = await scoped(deps.db, session.orgId)
    .selectFrom('import_batches')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', session.userId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Import');
  return batchView(row);
}

/**
 * Runs a bulk import (the `imports.bulk` job): one address after the other, each with the outcome of
 * `importByUrl` — created, existing, or failed with the error's code and message — so one bad address
 * never stops the rest. Each line is committed as it is done, so a retried job resumes after the
 * last one. The requester's permissions are read now: one who lost `content.write` imports nothing.
 */
export async function runImportBatch(
  deps: ImportDeps,
  target: { orgId: string; batchId: string },
  onProgress: (progress: BulkImportProgress & { userId: string }) => Promise<void> | void = () => {},
): Promise<ImportBatchView | null> {
  const batch = await scoped(deps.db, target.orgId)
    .selectFrom('import_batches')
    .selectAll()
    .where('id', '=', target.batchId)
    .executeTakeFirst();
  if (!batch || batch.status === 'completed' || batch.status === 'failed')
    return batch ? batchView(batch) : null;
  const state = await loadAuthState(deps.db, batch.user_id);
  const session = state && state.status === 'active' ? sessionFromAuthState(state) : null;
  const setStatus = (status: 'running' | 'completed' | 'failed', error: string | null = null) =>
    scoped(deps.db, target.orgId)
      .updateTable('import_batches')
      .set({ status, error, updated_at: new Date() })
      .where('id', '=', batch.id)
      .execute();
  if (!session?.permissions.has('content.write')) {
    await setStatus('failed', 'The person who started this import can no longer create content');
    return null;
  }
  await setStatus('running');
  const urls = batch.urls as string[];
  let done = (batch.results as unknown[]).length;
  for (const url of urls.slice(done)) {
    let line: BulkImportLine;
    try {
      const result = await importByUrl(deps, session, { url, language: batch.language });
      line = {
        url,
        outcome: result.created ? 'created' : 'existing',
        contentId: result.content.id,
        title: result.content.title,
      };
    } catch (error) {
      if (!isAppError(error) || error.code === 'INTERNAL') throw error;
      line = { url, outcome: 'failed', code: error.code, message: error.message };
    }
    await scoped(deps.db, target.orgId)
      .updateTable('import_batches')
      .set({
        results: sql`results || jsonb_build_array(${JSON.stringify(line)}::jsonb)`,
        updated_at: new Date(),
      })
      .where('id', '=', batch.id)
      .execute();
    done += 1;
    await onProgress({ done, total: urls.length, line, userId: batch.user_id });
  }
  await setStatus('completed');
  const finished = await scoped(deps.db, target.orgId)
    .selectFrom('import_batches')
    .selectAll()
    .where('id', '=', batch.id)
    .executeTakeFirstOrThrow();
  return batchView(finished);
}
