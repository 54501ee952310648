import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { ZOrgSlug } from '../content/content.ts';
import { type ContentDeps, type ContentView, readContents, resolveViewer } from '../content/store.ts';
import { NotFoundError } from '../errors.ts';
import { ZDate } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';
import { SEARCH_LIMITS, SEARCH_MEDIA_TYPES, type SearchFacets, type SearchPort } from './search-port.ts';

export interface DiscoveryDeps extends ContentDeps {
  search: SearchPort;
}

const text = (max: number) => z.string().trim().max(max);

export const ZDiscoverySearchInput = z
  .object({
    orgSlug: ZOrgSlug,
    q: text(SEARCH_LIMITS.queryLength).default(''),
    mediaType: z.enum(SEARCH_MEDIA_TYPES).optional(),
    category: text(SEARCH_LIMITS.categoryLength).min(1).optional(),
    language: text(SEARCH_LIMITS.languageLength).min(1).optional(),
    dateFrom: ZDate.optional(),
    dateTo: ZDate.optional(),
    limit: z.number().int().min(1).max(SEARCH_LIMITS.maxLimit).default(20),
    offset: z.number().int().min(0).max(SEARCH_LIMITS.maxWindow).default(0),
  })
  .refine((q) => q.offset + q.limit <= SEARCH_LIMITS.maxWindow, {
    message: `Pages end at result ${SEARCH_LIMITS.maxWindow}; narrow the search instead`,
    path: ['offset'],
  })
  .refine((q) => !q.dateFrom || !q.dateTo || q.dateFrom.getTime() <= q.dateTo.getTime(), {
    message: 'The start date must not be after the end date',
    path: ['dateFrom'],
  });
export type DiscoverySearchInput = z.input<typeof ZDiscoverySearchInput>;

export const ZDiscoveryGetInput = z.object({ orgSlug: ZOrgSlug, id: z.uuid() });

/**
 * A Library item as the public sees it: the content without the internal ids of its organisation and
 * author (the caller named the org by its slug; the author shows by name).
 */
export type LibraryItem = Omit<ContentView, 'orgId' | 'authorId'>;

function toLibraryItem({ orgId: _org, authorId: _author, ...item }: ContentView): LibraryItem {
  return item;
}

export interface DiscoverySearchResult {
  items: LibraryItem[];
  total: number;
  facets: SearchFacets;
  limit: number;
  offset: number;
}

/**
 * `discovery.search` (SPEC §4): public, published content of the org named by `orgSlug`. The port
 * answers ranked ids, the total and the facets; the ids are hydrated cache-first (one MGET), the
 * database for misses, in rank order; ids that vanished or stopped being published since they were
 * indexed are dropped.
 */
export async function searchLibrary(
  deps: DiscoveryDeps,
  session: Session | null,
  rawInput: DiscoverySearchInput,
): Promise<DiscoverySearchResult> {
  const input = validateInput(ZDiscoverySearchInput, rawInput);
  const viewer = await resolveViewer(deps, session, input.orgSlug);
  const { orgSlug: _slug, ...query } = input;
  const result = await deps.search.search({ ...query, orgId: viewer.orgId });
  const views = await readContents(deps, result.ids);
  return {
    items: views
      .filter((view) => view.orgId === viewer.orgId && view.status === 'published')
      .map(toLibraryItem),
    total: result.total,
    facets: result.facets,
    limit: input.limit,
    offset: input.offset,
  };
}

/** `discovery.get {orgSlug, id}`: one published content of the library, hydrated the same way. */
export async function getLibraryItem(
  deps: DiscoveryDeps,
  session: Session | null,
  rawInput: z.input<typeof ZDiscoveryGetInput>,
): Promise<LibraryItem> {
  const input = validateInput(ZDiscoveryGetInput, rawInput);
  const viewer = await resolveViewer(deps, session, input.orgSlug);
  const [view] = await readContents(deps, [input.id]);
  if (!view || view.orgId !== viewer.orgId || view.status !== 'published') throw new NotFoundError('Content');
  return toLibraryItem(view);
}
