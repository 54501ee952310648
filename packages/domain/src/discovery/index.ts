import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  createMeilisearchSearch,
  DEFAULT_MEILI_INDEX,
  type MeilisearchSearch,
} from './meilisearch-search.ts';
import { createPostgresSearch } from './postgres-search.ts';
import type { SearchPort } from './search-port.ts';

export * from './meilisearch-search.ts';
export * from './postgres-search.ts';
export * from './search-port.ts';

/**
 * The search settings of a process's env (API and worker), to merge into its `src/env.ts` schema.
 * MEILI_URL unset: the PostgreSQL adapter (the embedded default).
 */
export const ZSearchEnv = z.object({
  MEILI_URL: z.url().optional(),
  /** An API key allowed to search, index documents and manage the two indexes (plain and -reindex). */
  MEILI_KEY: z.string().min(1).optional(),
  MEILI_INDEX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, { message: 'Use only letters, digits, "-" and "_"' })
    .default(DEFAULT_MEILI_INDEX),
});
export type SearchEnv = z.infer<typeof ZSearchEnv>;

/**
 * The SearchPort a process uses: Meilisearch when MEILI_URL is set, PostgreSQL otherwise. A process
 * that should fail at start-up on a wrong Meilisearch setup calls `ensureSettings()` when `engine` is
 * `meilisearch` (otherwise the first call applies them).
 */
export function createSearchPort(deps: {
  db: Kysely<Database>;
  env: SearchEnv;
}): MeilisearchSearch | (SearchPort & { engine: 'postgres' }) {
  const { MEILI_URL, MEILI_KEY, MEILI_INDEX } = deps.env;
  if (MEILI_URL)
    return createMeilisearchSearch({ url: MEILI_URL, apiKey: MEILI_KEY, indexName: MEILI_INDEX });
  return createPostgresSearch({ db: deps.db });
}
export * from './discover.ts';
export * from './indexing.ts';
