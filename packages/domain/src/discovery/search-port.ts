import { z } from 'zod';
import { validateInput } from '../platform/validate-input.ts';

/**
 * The SearchPort (SPEC §4 discovery, docs/discovery.md): how discovery asks "which contents of this
 * org match, in what order, and how many per facet value", and how indexing jobs keep the index in
 * step with the content tables. Two adapters implement it — PostgreSQL full-text search (the embedded
 * default, `postgres-search.ts`) and Meilisearch (`meilisearch-search.ts`, when MEILI_URL is set) —
 * and one contract suite (`test/discovery/search.contract.ts`) holds both to the same behaviour.
 *
 * The index holds only what search needs; it answers with ids, which discovery hydrates from the
 * cache and the database. Every call is scoped to one org: nothing here can return or touch another
 * org's documents.
 */

export const SEARCH_MEDIA_TYPES = ['audio', 'video'] as const;
export type SearchMediaType = (typeof SEARCH_MEDIA_TYPES)[number];

/** Bounds every adapter enforces, so an oversize document or query is a 400, never an engine error. */
export const SEARCH_LIMITS = {
  titleLength: 500,
  /** Longer descriptions are refused; content descriptions are bounded well below this. */
  descriptionLength: 20_000,
  categories: 50,
  categoryLength: 100,
  languageLength: 35,
  authorNameLength: 200,
  queryLength: 200,
  maxLimit: 100,
  /**
   * offset + limit never exceeds this: deep pages cost every engine more, and Meilisearch answers
   * nothing beyond its `maxTotalHits` (the Meilisearch adapter sets it to this value).
   */
  maxWindow: 10_000,
  /** Documents per upsert / reindex write call (adapters send them to the engine in smaller batches). */
  batchDocuments: 5_000,
  /** Ids per remove call. */
  batchIds: 5_000,
} as const;

/** PostgreSQL text cannot hold NUL, and no search input has a reason to contain control characters. */
const noNul = (value: string) => !value.includes('\u0000');
const text = (max: number) =>
  z.string().max(max).refine(noNul, { message: 'Remove the control characters from this text' });
const validDate = z.date().refine((d) => !Number.isNaN(d.getTime()), { message: 'Enter a valid date' });

export const ZSearchDocument = z.object({
  /** The content id (a UUID, as every Atrium id): Meilisearch's primary key, our row key. */
  id: z.uuid(),
  orgId: z.uuid(),
  title: text(SEARCH_LIMITS.titleLength).min(1),
  description: text(SEARCH_LIMITS.descriptionLength),
  categories: z.array(text(SEARCH_LIMITS.categoryLength).min(1)).max(SEARCH_LIMITS.categories),
  mediaType: z.enum(SEARCH_MEDIA_TYPES),
  /** BCP-47 tag as stored on the content (`en`, `pt-BR`); compared exactly. */
  language: text(SEARCH_LIMITS.languageLength).min(1),
  publicationDate: validDate.nullable(),
  authorName: text(SEARCH_LIMITS.authorNameLength).nullish(),
});
export type SearchDocument = z.input<typeof ZSearchDocument>;

export const ZSearchQuery = z
  .object({
    orgId: z.uuid(),
    /** Free text; empty (or only punctuation) lists everything by publication date, newest first. */
    q: text(SEARCH_LIMITS.queryLength).default(''),
    mediaType: z.enum(SEARCH_MEDIA_TYPES).optional(),
    category: text(SEARCH_LIMITS.categoryLength).min(1).optional(),
    language: text(SEARCH_LIMITS.languageLength).min(1).optional(),
    /** Inclusive bounds on the publication date; documents without one are left out when either is set. */
    dateFrom: validDate.optional(),
    dateTo: validDate.optional(),
    limit: z.number().int().min(1).max(SEARCH_LIMITS.maxLimit).default(20),
    offset: z.number().int().min(0).default(0),
  })
  .refine((q) => q.offset + q.limit <= SEARCH_LIMITS.maxWindow, {
    message: `offset + limit must not exceed ${SEARCH_LIMITS.maxWindow}`,
    path: ['offset'],
  })
  .refine((q) => !q.dateFrom || !q.dateTo || q.dateFrom.getTime() <= q.dateTo.getTime(), {
    message: 'Choose a start date on or before the end date',
    path: ['dateFrom'],
  });
export type SearchQuery = z.input<typeof ZSearchQuery>;
/** A query after defaults and checks: what adapters work with. */
export type ParsedSearchQuery = z.output<typeof ZSearchQuery>;

export interface FacetCount {
  value: string;
  count: number;
}

/**
 * Facet counts are disjunctive: each facet is counted with every filter applied except its own, so
 * the values shown beside an active filter say how many results choosing them instead would give
 * (the mediaType facet under `mediaType: 'video'` still counts audio). With no filter set, all three
 * count the results. Values are ordered by count (descending), then value; at most
 * FACET_VALUES_LIMIT per facet.
 */
export interface SearchFacets {
  mediaType: FacetCount[];
  category: FacetCount[];
  language: FacetCount[];
}

export const FACET_VALUES_LIMIT = 100;

export interface SearchResult {
  /** Content ids, best match first (or newest first for an empty query). */
  ids: string[];
  /** Every match, not just this page (exact up to SEARCH_LIMITS.maxWindow with Meilisearch). */
  total: number;
  facets: SearchFacets;
}

/**
 * A rebuild of the whole index (every org) in the background: searches keep reading the current
 * index until `commit()` swaps the new one in, atomically. While a rebuild runs, `upsert`/`remove`
 * on the port reach both indexes, so changes made during the rebuild survive the swap.
 *
 * Beginning a rebuild discards one that was left unfinished (a crashed job); the discarded handle's
 * next call fails with CONFLICT.
 */
export interface SearchReindex {
  /** Names this rebuild in logs and progress (a generation number or an index name). */
  readonly id: string;
  readonly startedAt: Date;
  /**
   * Adds documents read from the content tables. A document that `upsert` or `remove` touched during
   * the rebuild keeps that newer state in the PostgreSQL adapter; Meilisearch has no conditional
   * write, so a job should, after `commit()`, re-upsert the contents changed since `startedAt`
   * (docs/discovery.md, "Reindex").
   */
  write(documents: readonly SearchDocument[]): Promise<void>;
  /** Swaps the rebuilt index in and drops the old one. */
  commit(): Promise<void>;
  /** Drops the partial index; searches never saw it. */
  abort(): Promise<void>;
}

export type SearchEngine = 'postgres' | 'meilisearch';

export interface SearchPort {
  readonly engine: SearchEngine;
  /** Inserts or replaces documents (by id). Resolves once searches see them. */
  upsert(documents: readonly SearchDocument[]): Promise<void>;
  /** Removes the org's documents with these ids; ids of other orgs or unknown ids are ignored. */
  remove(orgId: string, ids: readonly string[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  beginReindex(): Promise<SearchReindex>;
  /** Resolves when the engine answers and the index is usable; rejects otherwise (readiness checks). */
  health(): Promise<void>;
}

export function parseSearchDocuments(
  documents: readonly SearchDocument[],
): z.output<typeof ZSearchDocument>[] {
  return validateInput(z.array(ZSearchDocument).max(SEARCH_LIMITS.batchDocuments), documents);
}

export function parseSearchQuery(query: SearchQuery): ParsedSearchQuery {
  return validateInput(ZSearchQuery, query);
}

export function parseRemoval(orgId: string, ids: readonly string[]): { orgId: string; ids: string[] } {
  return validateInput(z.object({ orgId: z.uuid(), ids: z.array(z.uuid()).max(SEARCH_LIMITS.batchIds) }), {
    orgId,
    ids,
  });
}

/**
 * Text as both adapters compare it: Unicode compatibility forms unified, accents dropped, lower
 * case. "Café", "CAFÉ" and "cafe" match one another; Meilisearch normalises the same way itself.
 */
export function foldText(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/**
 * Text as a sequence of words: runs of letters and digits, folded, each cut to 64 characters. The
 * PostgreSQL adapter indexes titles, categories, descriptions and author names in this form and reads
 * queries the same way, so both sides split words identically ("covid-19" is "covid" "19" on both).
 */
export function searchWords(value: string): string[] {
  const words = foldText(value).match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.map((w) => w.slice(0, 64));
}

/** A query's words: the first 10. */
export function queryWords(q: string): string[] {
  return searchWords(q).slice(0, 10);
}
