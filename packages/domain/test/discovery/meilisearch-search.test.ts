import { describe, expect, it } from 'vitest';
import {
  assertTaskSucceeded,
  createMeilisearchSearch,
  MEILI_SETTINGS,
  pageWindow,
  quote,
  readSearchResponse,
  searchRequests,
  settingsApplied,
  sortFacetCounts,
  toSearchEngineError,
} from '../../src/discovery/meilisearch-search.ts';
import { parseSearchQuery } from '../../src/discovery/search-port.ts';
import { ExternalServiceError } from '../../src/errors.ts';

/**
 * How the Meilisearch adapter builds its requests and reads answers and failures. The adapter's
 * behaviour against a server is the SearchPort contract (search.test.ts, when MEILI_URL is set);
 * these tests cover what needs no server, including the shapes Meilisearch documents for tasks.
 */
const orgId = '0b7e1d6c-4f4a-4a57-9d0e-6a1f2b3c4d5e';

describe('Meilisearch request building', () => {
  it('quotes filter values so quotes and backslashes cannot end the string', () => {
    expect(quote('Music')).toBe('"Music"');
    expect(quote('Rock "n" Roll')).toBe('"Rock \\"n\\" Roll"');
    expect(quote('back\\slash" OR orgId EXISTS')).toBe('"back\\\\slash\\" OR orgId EXISTS"');
  });

  it('serves aligned pages with page/hitsPerPage and unaligned ones from the window start', () => {
    expect(pageWindow(0, 20)).toEqual({ page: 1, hitsPerPage: 20, skip: 0 });
    expect(pageWindow(40, 20)).toEqual({ page: 3, hitsPerPage: 20, skip: 0 });
    expect(pageWindow(3, 2)).toEqual({ page: 1, hitsPerPage: 5, skip: 3 });
  });

  it('always filters by org; one main query plus one count query per active facet filter', () => {
    const request = searchRequests(
      'atrium-content',
      parseSearchQuery({
        orgId,
        q: ' jazz ',
        mediaType: 'video',
        category: 'Music',
        dateFrom: new Date('2026-01-01T00:00:00Z'),
        limit: 10,
        offset: 20,
      }),
    );
    expect(request.queries).toHaveLength(3);
    const [main, media, category] = request.queries;
    expect(main).toMatchObject({
      indexUid: 'atrium-content',
      q: 'jazz',
      matchingStrategy: 'all',
      filter: [
        `orgId = "${orgId}"`,
        'publicationDate >= 1767225600000',
        'mediaType = "video"',
        'categories = "Music"',
      ],
      facets: ['mediaType', 'categories', 'language'],
      sort: ['publicationDate:desc'],
      attributesToRetrieve: ['id'],
      page: 3,
      hitsPerPage: 10,
    });
    expect(media).toMatchObject({
      filter: [`orgId = "${orgId}"`, 'publicationDate >= 1767225600000', 'categories = "Music"'],
      facets: ['mediaType'],
      limit: 0,
    });
    expect(category).toMatchObject({
      filter: [`orgId = "${orgId}"`, 'publicationDate >= 1767225600000', 'mediaType = "video"'],
      facets: ['categories'],
      limit: 0,
    });
    for (const query of request.queries) expect(query.filter?.[0]).toBe(`orgId = "${orgId}"`);
  });

  it('reads ids, the exact total and each facet from the query that leaves its own filter out', () => {
    const request = searchRequests(
      'idx',
      parseSearchQuery({ orgId, q: '', mediaType: 'audio', limit: 2, offset: 1 }),
    );
    const result = readSearchResponse(request, [
      {
        hits: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
        totalHits: 7,
        facetDistribution: {
          mediaType: { audio: 7 },
          categories: { News: 2, Music: 5, Arts: 2 },
          language: { en: 4, de: 3 },
        },
      },
      { hits: [], totalHits: 12, facetDistribution: { mediaType: { audio: 7, video: 5 } } },
    ]);
    expect(result).toEqual({
      ids: ['b', 'c'],
      total: 7,
      facets: {
        mediaType: [
          { value: 'audio', count: 7 },
          { value: 'video', count: 5 },
        ],
        category: [
          { value: 'Music', count: 5 },
          { value: 'Arts', count: 2 },
          { value: 'News', count: 2 },
        ],
        language: [
          { value: 'en', count: 4 },
          { value: 'de', count: 3 },
        ],
      },
    });
    expect(() => readSearchResponse(request, [])).toThrow(ExternalServiceError);
  });

  it('orders facet values by count, then value', () => {
    expect(sortFacetCounts({ b: 1, a: 1, c: 3 })).toEqual([
      { value: 'c', count: 3 },
      { value: 'a', count: 1 },
      { value: 'b', count: 1 },
    ]);
  });
});

describe('Meilisearch settings', () => {
  it('are applied only when the index lacks one of them', () => {
    // What GET /indexes/{uid}/settings answers once they are applied (plus settings we leave alone).
    const applied = {
      ...MEILI_SETTINGS,
      filterableAttributes: [...MEILI_SETTINGS.filterableAttributes].reverse(),
      displayedAttributes: ['*'],
      rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'],
      typoTolerance: { ...MEILI_SETTINGS.typoTolerance, disableOnWords: [], disableOnAttributes: [] },
      faceting: { ...MEILI_SETTINGS.faceting, sortFacetValuesBy: { '*': 'count' as const } },
    };
    expect(settingsApplied(applied)).toBe(true);
    expect(settingsApplied({ ...applied, sortableAttributes: [] })).toBe(false);
    expect(settingsApplied({ ...applied, filterableAttributes: ['orgId'] })).toBe(false);
    expect(settingsApplied({ ...applied, pagination: { maxTotalHits: 1000 } })).toBe(false);
    // A fresh index: Meilisearch's defaults.
    expect(
      settingsApplied({
        searchableAttributes: ['*'],
        filterableAttributes: [],
        sortableAttributes: [],
        pagination: { maxTotalHits: 1000 },
      }),
    ).toBe(false);
  });

  it('refuse index names Meilisearch would not accept', () => {
    expect(() => createMeilisearchSearch({ url: 'http://127.0.0.1:7700', indexName: 'bad name' })).toThrow(
      /MEILI_INDEX/,
    );
  });
});

describe('Meilisearch failures', () => {
  it('turns a failed or cancelled task into BAD_GATEWAY with the task and its reason', () => {
    // GET /tasks/{uid} of a failed document addition, as Meilisearch answers it.
    const failed = {
      uid: 42,
      status: 'failed' as const,
      type: 'documentAdditionOrUpdate' as const,
      error: {
        message: 'Document identifier `"a b"` is invalid.',
        code: 'invalid_document_id',
        type: 'invalid_request',
        link: 'https://docs.meilisearch.com/errors#invalid_document_id',
      },
    };
    expect(() => assertTaskSucceeded(failed)).toThrow(ExternalServiceError);
    try {
      assertTaskSucceeded(failed);
    } catch (error) {
      expect(error).toMatchObject({ code: 'BAD_GATEWAY', details: { service: 'meilisearch' } });
      expect((error as Error).message).toMatch(
        /task 42 \(documentAdditionOrUpdate\) failed: invalid_document_id/,
      );
    }
    expect(() => assertTaskSucceeded({ uid: 7, status: 'canceled', type: 'indexSwap', error: null })).toThrow(
      /was cancelled/,
    );
    expect(() =>
      assertTaskSucceeded({ uid: 8, status: 'succeeded', type: 'indexSwap', error: null }),
    ).not.toThrow();
  });

  it('classifies client errors: no answer → UNAVAILABLE, a refusal → BAD_GATEWAY', async () => {
    const meilisearch = await import('meilisearch');
    const unreachable = new meilisearch.MeilisearchRequestError(
      'http://127.0.0.1:1/indexes',
      new Error('ECONNREFUSED'),
    );
    expect(toSearchEngineError(unreachable, 'search')).toMatchObject({ code: 'UNAVAILABLE' });
    expect(toSearchEngineError(new meilisearch.MeilisearchTaskTimeOutError(3, 100), 'index')).toMatchObject({
      code: 'UNAVAILABLE',
    });
    const refusal = new meilisearch.MeilisearchApiError(new Response(null, { status: 400 }), {
      message: 'Attribute `foo` is not filterable.',
      code: 'invalid_search_filter',
      type: 'invalid_request',
      link: 'https://docs.meilisearch.com/errors#invalid_search_filter',
    });
    const mapped = toSearchEngineError(refusal, 'search');
    expect(mapped).toMatchObject({ code: 'BAD_GATEWAY' });
    expect(mapped.message).toContain('invalid_search_filter');
  });

  it('reports an unreachable server as UNAVAILABLE from every call, within the request timeout', async () => {
    const search = createMeilisearchSearch({ url: 'http://127.0.0.1:1', requestTimeoutMs: 1_000 });
    const started = Date.now();
    await expect(search.health()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(search.search({ orgId, q: 'x' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
