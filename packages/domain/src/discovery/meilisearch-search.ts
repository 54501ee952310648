import type { Meilisearch, MultiSearchQuery, SearchResponse, Settings, Task } from 'meilisearch';
import { AppError, ConflictError, ExternalServiceError } from '../errors.ts';
import {
  FACET_VALUES_LIMIT,
  type FacetCount,
  parseRemoval,
  parseSearchDocuments,
  parseSearchQuery,
  SEARCH_LIMITS,
  type SearchFacets,
  type SearchPort,
  type SearchReindex,
} from './search-port.ts';

/**
 * The SearchPort on Meilisearch (SPEC §0: used when MEILI_URL is set; docs/discovery.md).
 *
 * One index (MEILI_INDEX, `atrium-content` by default) holds every org's documents, primary key
 * `id`; every search and removal is filtered by `orgId`. Settings are applied by `ensureSettings()`
 * (idempotent; run at start-up, and before the first call otherwise). Every write waits for its
 * Meilisearch task and turns a failed or cancelled task into an error, so an indexing job fails
 * and is retried rather than reporting success for a write that never happened.
 *
 * A reindex fills a second index (`<index>-reindex`) and swaps it in with `swapIndexes`; while it
 * exists, upserts and removals go to both.
 *
 * The `meilisearch` client (ESM-only) is imported on first use: processes without MEILI_URL never
 * load it.
 */
export interface MeilisearchSearchOptions {
  url: string;
  apiKey?: string | undefined;
  /** MEILI_INDEX; default `atrium-content`. */
  indexName?: string;
  /** Per HTTP request (default 5 s). */
  requestTimeoutMs?: number;
  /** How long a write waits for its task (default 60 s): indexing a large batch takes a while. */
  taskTimeoutMs?: number;
}

export interface MeilisearchSearch extends SearchPort {
  readonly engine: 'meilisearch';
  readonly indexName: string;
  /** Creates the index if needed and applies the settings below when they differ. */
  ensureSettings(): Promise<void>;
}

export const DEFAULT_MEILI_INDEX = 'atrium-content';
/** Documents per Meilisearch task (well under its 100 MB payload limit). */
const DOCUMENTS_PER_TASK = 1_000;
const SERVICE = 'meilisearch';

/** What an indexed document looks like in Meilisearch. */
export interface MeiliDocument {
  id: string;
  orgId: string;
  title: string;
  description: string;
  categories: string[];
  mediaType: 'audio' | 'video';
  language: string;
  /** Milliseconds since the epoch (filterable, sortable); absent when the content has no date. */
  publicationDate?: number;
  authorName?: string;
}

/**
 * The index settings. Searchable attributes in order of importance (Meilisearch's `attribute`
 * ranking rule puts title matches first); typo tolerance as the PostgreSQL adapter reads it (one typo
 * from 5 letters, two from 9); facet values ordered by count; totals and pages up to the port's window.
 */
export const MEILI_SETTINGS = {
  searchableAttributes: ['title', 'categories', 'description', 'authorName'],
  filterableAttributes: ['orgId', 'id', 'mediaType', 'categories', 'language', 'publicationDate'],
  sortableAttributes: ['publicationDate'],
  typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 } },
  faceting: { maxValuesPerFacet: FACET_VALUES_LIMIT, sortFacetValuesBy: { '*': 'count' } },
  pagination: { maxTotalHits: SEARCH_LIMITS.maxWindow },
} satisfies Settings;

/** The port's facet names and the Meilisearch attributes behind them. */
const FACET_ATTRIBUTES = { mediaType: 'mediaType', category: 'categories', language: 'language' } as const;
type FacetName = keyof typeof FACET_ATTRIBUTES;

export function createMeilisearchSearch(options: MeilisearchSearchOptions): MeilisearchSearch {
  const indexName = options.indexName ?? DEFAULT_MEILI_INDEX;
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(indexName)) {
    throw new Error('MEILI_INDEX may only contain letters, digits, "-" and "_"');
  }
  const buildingName = `${indexName}-reindex`;
  const taskTimeoutMs = options.taskTimeoutMs ?? 60_000;

  let clientPromise: Promise<Meilisearch> | undefined;
  const client = () =>
    (clientPromise ??= import('meilisearch').then(
      ({ Meilisearch }) =>
        new Meilisearch({
          host: options.url,
          ...(options.apiKey ? { apiKey: options.apiKey } : {}),
          timeout: options.requestTimeoutMs ?? 5_000,
        }),
    ));

  /** Waits for each task, in order, and fails on the first that did not succeed. */
  const settle = async (meili: Meilisearch, taskUids: readonly number[]) => {
    for (const uid of taskUids) {
      assertTaskSucceeded(await meili.tasks.waitForTask(uid, { timeout: taskTimeoutMs, interval: 50 }));
    }
  };

  /** Runs a Meilisearch call, turning client errors into the error taxonomy. */
  const call = async <T>(what: string, run: (meili: Meilisearch) => Promise<T>): Promise<T> => {
    try {
      return await run(await client());
    } catch (error) {
      throw toSearchEngineError(error, what);
    }
  };

  const ensureIndex = async (meili: Meilisearch, uid: string) => {
    const task = await meili.tasks.waitForTask((await meili.createIndex(uid, { primaryKey: 'id' })).taskUid, {
      timeout: taskTimeoutMs,
    });
    if (task.status === 'failed' && task.error?.code === 'index_already_exists') return;
    assertTaskSucceeded(task);
  };

  const applySettings = async (meili: Meilisearch, uid: string) => {
    const index = meili.index(uid);
    if (settingsApplied(await index.getSettings())) return;
    await settle(meili, [(await index.updateSettings(MEILI_SETTINGS)).taskUid]);
  };

  let ready: Promise<void> | undefined;
  const ensureSettings = () => {
    ready ??= call('apply index settings', async (meili) => {
      await ensureIndex(meili, indexName);
      await applySettings(meili, indexName);
    }).catch((error: unknown) => {
      ready = undefined; // try again next time instead of remembering the failure
      throw error;
    });
    return ready;
  };

  /** The rebuild index when one exists, with its creation time (what tells one rebuild from the next). */
  const buildingIndex = async (meili: Meilisearch): Promise<{ createdAt: string } | null> => {
    try {
      const info = await meili.getRawIndex(buildingName);
      return { createdAt: info.createdAt };
    } catch (error) {
      if (apiErrorCode(error) === 'index_not_found') return null;
      throw error;
    }
  };

  const addDocuments = async (
    meili: Meilisearch,
    uids: readonly string[],
    docs: readonly MeiliDocument[],
  ) => {
    const tasks: number[] = [];
    for (const uid of uids) {
      for (let i = 0; i < docs.length; i += DOCUMENTS_PER_TASK) {
        tasks.push((await meili.index(uid).addDocuments(docs.slice(i, i + DOCUMENTS_PER_TASK))).taskUid);
      }
    }
    await settle(meili, tasks);
  };

  const liveTargets = async (meili: Meilisearch) =>
    (await buildingIndex(meili)) ? [indexName, buildingName] : [indexName];

  return {
    engine: 'meilisearch',
    indexName,
    ensureSettings,

    async upsert(documents) {
      const docs = parseSearchDocuments(documents).map(toMeiliDocument);
      if (docs.length === 0) return;
      await ensureSettings();
      await call('index documents', async (meili) => addDocuments(meili, await liveTargets(meili), docs));
    },

    async remove(orgIdInput, idsInput) {
      const { orgId, ids } = parseRemoval(orgIdInput, idsInput);
      if (ids.length === 0) return;
      await ensureSettings();
      // By filter, not by id: an id of another org is left alone.
      const filter = [eq('orgId', orgId), `id IN [${ids.map(quote).join(', ')}]`];
      await call('remove documents', async (meili) => {
        const tasks: number[] = [];
        for (const uid of await liveTargets(meili)) {
          tasks.push((await meili.index(uid).deleteDocuments({ filter })).taskUid);
        }
        await settle(meili, tasks);
      });
    },

    async search(input) {
      const query = parseSearchQuery(input);
      await ensureSettings();
      const request = searchRequests(indexName, query);
      const response = await call('search', (meili) => meili.multiSearch({ queries: request.queries }));
      return readSearchResponse(request, response.results);
    },

    async beginReindex() {
      await ensureSettings();
      const createdAt = await call('begin reindex', async (meili) => {
        // Whatever an earlier, unfinished rebuild left goes first.
        const dropped = await meili.deleteIndex(buildingName);
        const task = await meili.tasks.waitForTask(dropped.taskUid, { timeout: taskTimeoutMs });
        if (!(task.status === 'failed' && task.error?.code === 'index_not_found')) assertTaskSucceeded(task);
        await ensureIndex(meili, buildingName);
        await applySettings(meili, buildingName);
        const building = await buildingIndex(meili);
        if (!building) throw new ExternalServiceError('BAD_GATEWAY', SERVICE, 'The rebuild index vanished');
        return building.createdAt;
      });
      const startedAt = new Date();

      const assertOwn = async (meili: Meilisearch) => {
        if ((await buildingIndex(meili))?.createdAt !== createdAt) {
          throw new ConflictError('This search reindex was superseded by a newer one or has already ended', {
            index: buildingName,
          });
        }
      };

      return {
        id: `${buildingName}@${createdAt}`,
        startedAt,
        async write(documents) {
          const docs = parseSearchDocuments(documents).map(toMeiliDocument);
          if (docs.length === 0) return;
          await call('write reindex batch', async (meili) => {
            await assertOwn(meili);
            await addDocuments(meili, [buildingName], docs);
          });
        },
        async commit() {
          await call('swap reindexed index', async (meili) => {
            await assertOwn(meili);
            await settle(meili, [
              (await meili.swapIndexes([{ indexes: [indexName, buildingName], rename: false }])).taskUid,
            ]);
            // After the swap the rebuild index's name holds the old documents.
            await settle(meili, [(await meili.deleteIndex(buildingName)).taskUid]);
          });
        },
        async abort() {
          await call('abort reindex', async (meili) => {
            if ((await buildingIndex(meili))?.createdAt !== createdAt) return;
            await settle(meili, [(await meili.deleteIndex(buildingName)).taskUid]);
          });
        },
      } satisfies SearchReindex;
    },

    async health() {
      await call('health', async (meili) => {
        const { status } = await meili.health();
        if (status !== 'available') {
          throw new ExternalServiceError('UNAVAILABLE', SERVICE, `Meilisearch reports "${status}"`);
        }
      });
    },
  };
}

export function toMeiliDocument(doc: ReturnType<typeof parseSearchDocuments>[number]): MeiliDocument {
  return {
    id: doc.id,
    orgId: doc.orgId,
    title: doc.title,
    description: doc.description,
    categories: [...new Set(doc.categories)],
    mediaType: doc.mediaType,
    language: doc.language,
    ...(doc.publicationDate ? { publicationDate: doc.publicationDate.getTime() } : {}),
    ...(doc.authorName ? { authorName: doc.authorName } : {}),
  };
}

/** A Meilisearch filter string literal: double quotes, with `"` and `\` escaped. */
export function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

const eq = (attribute: string, value: string) => `${attribute} = ${quote(value)}`;

/**
 * The page as Meilisearch can serve it with an exact total: `page`/`hitsPerPage` counts every hit
 * (offset/limit only estimates). An offset that is not a multiple of the limit reads the first
 * offset + limit hits (at most SEARCH_LIMITS.maxWindow ids) and skips `skip` of them.
 */
export function pageWindow(
  offset: number,
  limit: number,
): { page: number; hitsPerPage: number; skip: number } {
  if (offset % limit === 0) return { page: offset / limit + 1, hitsPerPage: limit, skip: 0 };
  return { page: 1, hitsPerPage: offset + limit, skip: offset };
}

interface SearchRequests {
  queries: MultiSearchQuery[];
  skip: number;
  limit: number;
  /** Which query's facet distribution answers each facet (disjunctive faceting). */
  facetSource: Record<FacetName, number>;
}

/**
 * The main query (all filters, the page, facets) plus one count-only query per active facet filter
 * with that filter left out — the disjunctive counts — all sent in one multi-search request.
 */
export function searchRequests(indexUid: string, query: ReturnType<typeof parseSearchQuery>): SearchRequests {
  const base = [eq('orgId', query.orgId)];
  if (query.dateFrom) base.push(`publicationDate >= ${query.dateFrom.getTime()}`);
  if (query.dateTo) base.push(`publicationDate <= ${query.dateTo.getTime()}`);
  const facetFilters: Partial<Record<FacetName, string>> = {};
  if (query.mediaType) facetFilters.mediaType = eq('mediaType', query.mediaType);
  if (query.category) facetFilters.category = eq('categories', query.category);
  if (query.language) facetFilters.language = eq('language', query.language);

  const q = query.q.trim();
  const common = { indexUid, q, matchingStrategy: 'all' as const };
  const window = pageWindow(query.offset, query.limit);
  const queries: MultiSearchQuery[] = [
    {
      ...common,
      filter: [...base, ...Object.values(facetFilters)],
      facets: Object.values(FACET_ATTRIBUTES),
      // Relevance first for a text query (the `sort` rule comes after the relevance rules), newest
      // first among equals and for an empty query.
      sort: ['publicationDate:desc'],
      attributesToRetrieve: ['id'],
      page: window.page,
      hitsPerPage: window.hitsPerPage,
    },
  ];
  const facetSource: Record<FacetName, number> = { mediaType: 0, category: 0, language: 0 };
  for (const name of Object.keys(facetFilters) as FacetName[]) {
    facetSource[name] = queries.length;
    const others = Object.entries(facetFilters)
      .filter(([other]) => other !== name)
      .map(([, filter]) => filter);
    queries.push({ ...common, filter: [...base, ...others], facets: [FACET_ATTRIBUTES[name]], limit: 0 });
  }
  return { queries, skip: window.skip, limit: query.limit, facetSource };
}

export function readSearchResponse(
  request: SearchRequests,
  results: ReadonlyArray<Pick<SearchResponse, 'hits' | 'facetDistribution' | 'totalHits'>>,
) {
  const main = results[0];
  if (!main || results.length !== request.queries.length) {
    throw new ExternalServiceError('BAD_GATEWAY', SERVICE, 'Meilisearch answered the search incompletely');
  }
  const facets = {} as SearchFacets;
  for (const name of Object.keys(FACET_ATTRIBUTES) as FacetName[]) {
    const distribution =
      results[request.facetSource[name]]?.facetDistribution?.[FACET_ATTRIBUTES[name]] ?? {};
    facets[name] = sortFacetCounts(distribution);
  }
  return {
    ids: main.hits.slice(request.skip, request.skip + request.limit).map((hit) => String(hit.id)),
    total: main.totalHits ?? 0,
    facets,
  };
}

/** By count (largest first), then by value — the port's order, whatever order Meilisearch used. */
export function sortFacetCounts(distribution: Record<string, number>): FacetCount[] {
  return Object.entries(distribution)
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, FACET_VALUES_LIMIT);
}

/** True when the index already has every setting of MEILI_SETTINGS (others are left alone). */
export function settingsApplied(current: Settings): boolean {
  const wanted = MEILI_SETTINGS as Record<string, unknown>;
  const have = current as Record<string, unknown>;
  return Object.keys(wanted).every((key) => includes(have[key], wanted[key]));
}

/** `actual` has every field of `expected` (arrays compared as sets, objects field by field). */
function includes(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item) => actual.some((a) => includes(a, item)))
    );
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([key, value]) =>
      includes((actual as Record<string, unknown>)[key], value),
    );
  }
  return actual === expected;
}

/** A task that did not succeed becomes an error: the write it carried did not happen. */
export function assertTaskSucceeded(task: Pick<Task, 'uid' | 'status' | 'type' | 'error'>): void {
  if (task.status === 'succeeded') return;
  const reason = task.error ? `${task.error.code}: ${task.error.message}` : task.status;
  throw new ExternalServiceError(
    'BAD_GATEWAY',
    SERVICE,
    `Meilisearch task ${task.uid} (${task.type}) ${task.status === 'canceled' ? 'was cancelled' : 'failed'}: ${reason}`,
  );
}

function apiErrorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/**
 * Client failures in the error taxonomy: no answer in time or no connection → UNAVAILABLE (retry
 * later); an answer refusing the request → BAD_GATEWAY. Our own errors pass through.
 */
export function toSearchEngineError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const name = (error as { name?: unknown } | undefined)?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (
    name === 'MeilisearchRequestError' ||
    name === 'MeilisearchRequestTimeOutError' ||
    name === 'MeilisearchTaskTimeOutError'
  ) {
    return new ExternalServiceError(
      'UNAVAILABLE',
      SERVICE,
      `Meilisearch did not answer (${what}): ${message}`,
      error,
    );
  }
  const code = apiErrorCode(error);
  return new ExternalServiceError(
    'BAD_GATEWAY',
    SERVICE,
    `Meilisearch refused to ${what}${code ? ` (${code})` : ''}: ${message}`,
    error,
  );
}
