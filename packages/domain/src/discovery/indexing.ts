import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { type ContentView, loadContentViews } from '../content/store.ts';
import type { SearchDocument, SearchPort } from './search-port.ts';

/**
 * Keeping the search index in step with the content tables (SPEC §4, docs/content.md "Indexing").
 * The `search.index` jobs call `indexContent` with the content id of each content event; the job
 * reads the row as it is *now*, so the order events arrive in, or how often, never matters:
 *
 * - gone, not published, or without media → removed from the index (removal is idempotent);
 * - published, and the index already has this version (`indexed_version`) → nothing to do, which is
 *   how a burst of events for one content coalesces into one engine write;
 * - otherwise upserted, then `indexed_version` moves forward (never back).
 *
 * Jobs of one content run one at a time in event order (the queue is keyed by content id), so a
 * removal can never be overtaken by an upsert read before it.
 */
export interface IndexingDeps {
  db: Kysely<Database>;
  search: SearchPort;
}

export type IndexOutcome = 'upserted' | 'removed' | 'unchanged';

export function searchDocumentOf(view: ContentView): SearchDocument | null {
  if (view.status !== 'published' || !view.media) return null;
  return {
    id: view.id,
    orgId: view.orgId,
    title: view.title,
    description: view.description,
    categories: view.categories.map((c) => c.name),
    mediaType: view.media.mediaType,
    language: view.language,
    publicationDate: view.publicationDate,
    authorName: view.authorName,
  };
}

export async function indexContent(
  deps: IndexingDeps,
  target: { orgId: string; contentId: string },
): Promise<{ outcome: IndexOutcome; updatedAt: Date | null }> {
  const state = await deps.db
    .selectFrom('contents')
    .select(['version', 'indexed_version', 'status', 'updated_at'])
    .where('org_id', '=', target.orgId)
    .where('id', '=', target.contentId)
    .executeTakeFirst();
  if (!state) {
    await deps.search.remove(target.orgId, [target.contentId]);
    return { outcome: 'removed', updatedAt: null };
  }
  if (state.indexed_version >= state.version) return { outcome: 'unchanged', updatedAt: state.updated_at };
  const view = (await loadContentViews(deps.db, target.orgId, [target.contentId])).get(target.contentId);
  const document = view ? searchDocumentOf(view) : null;
  if (document) await deps.search.upsert([document]);
  else await deps.search.remove(target.orgId, [target.contentId]);
  const version = view?.version ?? state.version;
  await deps.db
    .updateTable('contents')
    .set({ indexed_version: version })
    .where('org_id', '=', target.orgId)
    .where('id', '=', target.contentId)
    .where('indexed_version', '<', version)
    .execute();
  return { outcome: document ? 'upserted' : 'removed', updatedAt: view?.updatedAt ?? state.updated_at };
}

export const REINDEX_BATCH = 500;

export interface ReindexProgress {
  indexed: number;
  total: number;
}

/**
 * Rebuilds the whole index behind searches (SPEC §4 `discovery.reindex`): a fresh index filled in
 * batches of published contents, keyset on id, swapped in at the end; then the contents changed since
 * the rebuild began are upserted or removed again (docs/discovery.md "Reindex": Meilisearch has no
 * conditional write).
 */
export async function reindexAll(
  deps: IndexingDeps,
  onProgress: (progress: ReindexProgress) => Promise<void> | void = () => {},
): Promise<ReindexProgress> {
  const { count } = await deps.db
    .selectFrom('contents')
    .select(sql<number>`count(*)::int`.as('count'))
    .where('status', '=', 'published')
    .executeTakeFirstOrThrow();
  const rebuild = await deps.search.beginReindex();
  let indexed = 0;
  try {
    let after: string | null = null;
    for (;;) {
      let query = deps.db
        .selectFrom('contents')
        .select(['id', 'org_id'])
        .where('status', '=', 'published')
        .orderBy('id')
        .limit(REINDEX_BATCH);
      if (after) query = query.where('id', '>', after);
      const page = await query.execute();
      if (page.length === 0) break;
      const views = await loadContentViews(
        deps.db,
        null,
        page.map((row) => row.id),
      );
      const documents = [...views.values()].flatMap((view) => {
        const document = searchDocumentOf(view);
        return document ? [document] : [];
      });
      if (documents.length > 0) await rebuild.write(documents);
      indexed += documents.length;
      after = page.at(-1)?.id ?? null;
      await onProgress({ indexed, total: count });
    }
    await rebuild.commit();
  } catch (error) {
    await rebuild.abort().catch(() => {});
    throw error;
  }
  const changed = await deps.db
    .selectFrom('contents')
    .select(['id', 'org_id'])
    .where('updated_at', '>=', rebuild.startedAt)
    .execute();
  for (const row of changed) {
    await deps.db.updateTable('contents').set({ indexed_version: 0 }).where('id', '=', row.id).execute();
    await indexContent(deps, { orgId: row.org_id, contentId: row.id });
  }
  return { indexed, total: count };
}
