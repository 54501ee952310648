import type { Database } from '@atrium/db';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { ConflictError } from '../errors.ts';
import {
  FACET_VALUES_LIMIT,
  type FacetCount,
  type ParsedSearchQuery,
  parseRemoval,
  parseSearchDocuments,
  parseSearchQuery,
  queryWords,
  type SearchPort,
  type SearchReindex,
  searchWords,
} from './search-port.ts';

/**
 * The SearchPort on PostgreSQL full-text search: the embedded default (docs/discovery.md, with the
 * measurements behind each choice).
 *
 * - Matching: every query word must occur (AND) in some field; the last one is completed (`astro`
 *   finds "astronomy" while the user types). Documents and queries are split into words by
 *   `searchWords` and indexed with the `simple` configuration: no stemming, because contents come
 *   in many languages and a query's language is unknown.
 * - Typos: a query word of 5 or more letters also matches the org's indexed words one typo away (two
 *   from 9 letters; a swap of two letters is one typo), found through a trigram index on the
 *   vocabulary: "podcsat" finds "podcast", in titles and everywhere else.
 * - Ranking, like Meilisearch's attribute rule rather than by term frequency in descriptions: exact
 *   matches before those found only through a corrected word; among them, documents with every word
 *   in the title first; then ts_rank over the vector (title A, categories B, author D, description
 *   words without positions, which ts_rank weighs like D); then newest first, then id. Description
 *   positions are stripped: they made rows a fifth larger and ranking slower for no ranking that
 *   mattered. ts_rank rather than ts_rank_cd: a completed or corrected word is an OR of several
 *   words, and cover density over an OR costs five times as much per match (docs/discovery.md). An
 *   empty query lists newest first.
 * - Facets are disjunctive (search-port.ts) and come with the page and the total in one statement.
 *   A listing without query words or dates reads them from search_facet_counts (trigger-kept
 *   per-org counts); a query counts its own matches, collected once (a materialised CTE) and
 *   aggregated per facet.
 */
export interface PostgresSearchOptions {
  db: Kysely<Database>;
}

/** Documents per INSERT statement: one jsonb parameter of ~0.5 MB. */
const WRITE_CHUNK = 500;
/** Meilisearch's defaults: one typo from 5 letters, two from 9; shorter words are never read as typos. */
const MIN_TYPO_WORD_LENGTH = 5;
const TWO_TYPOS_WORD_LENGTH = 9;
const typosAllowed = (word: string) => (word.length >= TWO_TYPOS_WORD_LENGTH ? 2 : 1);
const CORRECTIONS_PER_WORD = 3;
/** Trigram-similar vocabulary words whose typo distance is checked, per query word. */
const CORRECTION_CANDIDATES = 30;
/** Vocabulary words are at least this long (and not only digits); shorter ones are not corrections. */
const MIN_VOCABULARY_WORD_LENGTH = 3;
/**
 * A word being typed stands for at most this many vocabulary words (the shortest): every one of them
 * is an operand that ts_rank and the title tier evaluate for every match.
 */
const MAX_COMPLETIONS = 8;
/** A last word shorter than this is taken as typed: one letter would stand for half the vocabulary. */
const MIN_COMPLETED_WORD_LENGTH = 2;

type ParsedDocument = ReturnType<typeof parseSearchDocuments>[number];

interface IndexState {
  active: string;
  building: string | null;
}

export function createPostgresSearch({ db }: PostgresSearchOptions): SearchPort & { engine: 'postgres' } {
  return {
    engine: 'postgres',

    async upsert(documents) {
      const parsed = parseSearchDocuments(documents);
      if (parsed.length === 0) return;
      await db.transaction().execute(async (trx) => {
        const state = await lockState(trx);
        const generations = state.building ? [state.active, state.building] : [state.active];
        for (let i = 0; i < parsed.length; i += WRITE_CHUNK) {
          await writeDocuments(trx, parsed.slice(i, i + WRITE_CHUNK), generations, 'replace');
        }
        // Written again during a rebuild: no longer a removal the rebuild must respect.
        if (state.building) {
          const keys = parsed.map((d) => ({ org_id: d.orgId, content_id: d.id }));
          await sql`
            DELETE FROM search_tombstones t
            USING jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS d(org_id uuid, content_id uuid)
            WHERE t.generation = ${state.building}::bigint
              AND t.org_id = d.org_id AND t.content_id = d.content_id
          `.execute(trx);
        }
      });
    },

    async remove(orgIdInput, idsInput) {
      const { orgId, ids } = parseRemoval(orgIdInput, idsInput);
      if (ids.length === 0) return;
      await db.transaction().execute(async (trx) => {
        const state = await lockState(trx);
        const generations = state.building ? [state.active, state.building] : [state.active];
        await sql`
          DELETE FROM search_documents
          WHERE org_id = ${orgId}::uuid AND generation = ANY(${generations}::bigint[])
            AND content_id = ANY(${ids}::uuid[])
        `.execute(trx);
        if (state.building) {
          await sql`
            INSERT INTO search_tombstones (generation, org_id, content_id)
            SELECT ${state.building}::bigint, ${orgId}::uuid, id FROM unnest(${ids}::uuid[]) AS id
            ON CONFLICT DO NOTHING
          `.execute(trx);
        }
      });
    },

    async search(input) {
      const query = parseSearchQuery(input);
      const { rows } = await searchStatement(query).execute(db);
      const row = rows[0];
      if (!row) throw new Error('the search statement returned no row');
      return {
        ids: row.ids,
        total: Number(row.total),
        facets: {
          mediaType: facetCounts(row.media_types),
          category: facetCounts(row.categories),
          language: facetCounts(row.languages),
        },
      };
    },

    async beginReindex() {
      const { generation, startedAt } = await db.transaction().execute(async (trx) => {
        const state = await lockState(trx);
        // After an abandoned rebuild's generation, so none of its rows can be mistaken for ours.
        const next = (BigInt(state.building ?? state.active) + 1n).toString();
        const { rows } = await sql<{ started_at: Date }>`
          UPDATE search_index_state
          SET building_generation = ${next}::bigint, building_started_at = clock_timestamp()
          RETURNING building_started_at AS started_at
        `.execute(trx);
        return { generation: next, startedAt: rows[0]?.started_at ?? new Date() };
      });
      await dropInactiveGenerations(db);
      return postgresReindex(db, generation, startedAt);
    },

    async health() {
      await sql`SELECT active_generation FROM search_index_state`.execute(db);
    },
  };
}

function postgresReindex(db: Kysely<Database>, generation: string, startedAt: Date): SearchReindex {
  /** The locked state, still naming this rebuild; a newer beginReindex discarded it otherwise. */
  const lockOwnState = async (trx: Transaction<Database>) => {
    const state = await lockState(trx);
    if (state.building !== generation) {
      throw new ConflictError('This search reindex was superseded by a newer one or has already ended', {
        generation,
      });
    }
  };
  return {
    id: `postgres-generation-${generation}`,
    startedAt,

    async write(documents) {
      const parsed = parseSearchDocuments(documents);
      if (parsed.length === 0) return;
      await db.transaction().execute(async (trx) => {
        await lockOwnState(trx);
        for (let i = 0; i < parsed.length; i += WRITE_CHUNK) {
          await writeDocuments(trx, parsed.slice(i, i + WRITE_CHUNK), [generation], 'fill');
        }
      });
    },

    async commit() {
      await db.transaction().execute(async (trx) => {
        await lockOwnState(trx);
        await sql`DELETE FROM search_tombstones WHERE generation = ${generation}::bigint`.execute(trx);
        await sql`
          UPDATE search_index_state
          SET active_generation = ${generation}::bigint, building_generation = NULL, building_started_at = NULL
        `.execute(trx);
      });
      await dropInactiveGenerations(db);
    },

    async abort() {
      const aborted = await db.transaction().execute(async (trx) => {
        const state = await lockState(trx);
        if (state.building !== generation) return false;
        await sql`UPDATE search_index_state SET building_generation = NULL, building_started_at = NULL`.execute(
          trx,
        );
        return true;
      });
      if (aborted) await dropInactiveGenerations(db);
    },
  };
}

/**
 * Reads the index state and locks its row for the transaction. Every index write takes it, so
 * writes never interleave: a rebuild batch sees a live write either completely or not at all, and
 * the trigger-kept facet counts are never updated by two transactions at once.
 */
async function lockState(trx: Transaction<Database>): Promise<IndexState> {
  const { rows } = await sql<IndexState>`
    SELECT active_generation AS active, building_generation AS building FROM search_index_state FOR UPDATE
  `.execute(trx);
  const row = rows[0];
  if (!row) throw new Error('search_index_state has no row: run the migrations');
  return row;
}

/**
 * Deletes what no search reads and no rebuild fills: the generation a commit replaced, or what an
 * abandoned rebuild left. Nothing writes those generations any more, so this needs no lock beyond
 * keeping two clean-ups from deleting the same rows.
 */
async function dropInactiveGenerations(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended('atrium:search:drop-generations', 0))`.execute(
      trx,
    );
    // IS DISTINCT FROM: building_generation is NULL outside a rebuild, and NOT IN (…, NULL) is never true.
    const inactive = sql`generation <> (SELECT active_generation FROM search_index_state)
      AND generation IS DISTINCT FROM (SELECT building_generation FROM search_index_state)`;
    await sql`DELETE FROM search_documents WHERE ${inactive}`.execute(trx);
    await sql`DELETE FROM search_terms WHERE ${inactive}`.execute(trx);
    await sql`DELETE FROM search_tombstones
              WHERE generation IS DISTINCT FROM (SELECT building_generation FROM search_index_state)`.execute(
      trx,
    );
  });
}

/**
 * Writes documents into the given generations, and their words into the vocabulary. `replace`
 * (live upserts) overwrites what is there; `fill` (rebuild batches) keeps a row a live write already
 * put in the new generation and skips ids removed during the rebuild, because the batch was read
 * from the content tables before those changes.
 */
async function writeDocuments(
  trx: Transaction<Database>,
  documents: readonly ParsedDocument[],
  generations: readonly string[],
  mode: 'replace' | 'fill',
): Promise<void> {
  const rows = documents.map((d) => ({
    org_id: d.orgId,
    content_id: d.id,
    media_type: d.mediaType,
    language: d.language,
    categories: [...new Set(d.categories)],
    publication_date: d.publicationDate?.toISOString() ?? null,
    title: searchWords(d.title).join(' '),
    categories_text: searchWords(d.categories.join(' ')).join(' '),
    description: searchWords(d.description).join(' '),
    author: searchWords(d.authorName ?? '').join(' '),
  }));
  const onConflict =
    mode === 'replace'
      ? sql`ON CONFLICT (org_id, generation, content_id) DO UPDATE SET
            media_type = excluded.media_type, language = excluded.language,
            categories = excluded.categories, publication_date = excluded.publication_date,
            search_vector = excluded.search_vector`
      : sql`ON CONFLICT (org_id, generation, content_id) DO NOTHING`;
  const notRemoved =
    mode === 'fill'
      ? sql`WHERE NOT EXISTS (
              SELECT 1 FROM search_tombstones t
              WHERE t.generation = g.generation AND t.org_id = d.org_id AND t.content_id = d.content_id)`
      : sql``;
  // The words are already split and folded (searchWords), so the `simple` parser only sees plain
  // words separated by spaces and keeps each as it is, position included.
  await sql`
    WITH written AS (
      INSERT INTO search_documents
        (org_id, generation, content_id, media_type, language, categories, publication_date, search_vector)
      SELECT d.org_id, g.generation, d.content_id, d.media_type, d.language, d.categories, d.publication_date,
             setweight(to_tsvector('simple', d.title), 'A')
               || setweight(to_tsvector('simple', d.categories_text), 'B')
               || setweight(to_tsvector('simple', d.author), 'D')
               || strip(to_tsvector('simple', d.description))
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS d(
             org_id uuid, content_id uuid, media_type text, language text, categories text[],
             publication_date timestamptz, title text, categories_text text, description text, author text)
      CROSS JOIN unnest(${generations}::bigint[]) AS g(generation)
      ${notRemoved}
      ORDER BY g.generation, d.org_id, d.content_id
      ${onConflict}
      RETURNING org_id, generation, search_vector
    )
    INSERT INTO search_terms (org_id, generation, term)
    SELECT DISTINCT w.org_id, w.generation, t.term
    FROM written w CROSS JOIN unnest(tsvector_to_array(w.search_vector)) AS t(term)
    WHERE length(t.term) >= ${MIN_VOCABULARY_WORD_LENGTH} AND t.term ~ '[^0-9]'
    ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING
  `.execute(trx);
}

interface SearchRow {
  ids: string[];
  total: number | string;
  media_types: Array<[string, number]>;
  categories: Array<[string, number]>;
  languages: Array<[string, number]>;
}

function facetCounts(pairs: Array<[string, number]>): FacetCount[] {
  return pairs.map(([value, count]) => ({ value, count: Number(count) }));
}

/** The one statement of a search: a listing (no words, no dates) or a matching query. */
function searchStatement(query: ParsedSearchQuery): RawBuilder<SearchRow> {
  const words = queryWords(query.q);
  if (words.length === 0 && !query.dateFrom && !query.dateTo) return listingStatement(query);
  return matchingStatement(query, words);
}

const activeGeneration = sql`(SELECT active_generation FROM search_index_state)`;

/** The page of the newest documents, with facets and total from the trigger-kept counts. */
function listingStatement(query: ParsedSearchQuery): RawBuilder<SearchRow> {
  const filters = [sql`d.org_id = ${query.orgId}::uuid`, sql`d.generation = ${activeGeneration}`];
  if (query.mediaType) filters.push(sql`d.media_type = ${query.mediaType}`);
  if (query.language) filters.push(sql`d.language = ${query.language}`);
  if (query.category) filters.push(sql`d.categories @> ARRAY[${query.category}]::text[]`);

  // With a category filter, the rows of that category count its documents; without, the '' rows
  // count every document once.
  const categoryRow = sql`c.category = ${query.category ?? ''}`;
  const mediaOk = query.mediaType ? sql`c.media_type = ${query.mediaType}` : sql`true`;
  const languageOk = query.language ? sql`c.language = ${query.language}` : sql`true`;

  return sql<SearchRow>`
    WITH counts AS MATERIALIZED (
      SELECT media_type, language, category, documents FROM search_facet_counts
      WHERE org_id = ${query.orgId}::uuid AND generation = ${activeGeneration}
    )
    SELECT
      (SELECT coalesce(sum(c.documents), 0) FROM counts c WHERE ${categoryRow} AND ${mediaOk} AND ${languageOk})
        AS total,
      (SELECT coalesce(json_agg(p.content_id ORDER BY p.publication_date DESC NULLS LAST, p.content_id), '[]')
       FROM (SELECT d.content_id, d.publication_date FROM search_documents d
             WHERE ${sql.join(filters, sql` AND `)}
             ORDER BY d.publication_date DESC NULLS LAST, d.content_id
             LIMIT ${query.limit} OFFSET ${query.offset}) p) AS ids,
      ${facetJson(sql`SELECT c.media_type AS value, sum(c.documents) AS n FROM counts c
                      WHERE ${categoryRow} AND ${languageOk} GROUP BY 1`)} AS media_types,
      ${facetJson(sql`SELECT c.category AS value, sum(c.documents) AS n FROM counts c
                      WHERE c.category <> '' AND ${mediaOk} AND ${languageOk} GROUP BY 1`)} AS categories,
      ${facetJson(sql`SELECT c.language AS value, sum(c.documents) AS n FROM counts c
                      WHERE ${categoryRow} AND ${mediaOk} GROUP BY 1`)} AS languages
  `;
}

/** Matches of the query words (or of the date range), ranked, with facets counted over the matches. */
function matchingStatement(query: ParsedSearchQuery, words: readonly string[]): RawBuilder<SearchRow> {
  const filters = [sql`d.org_id = ${query.orgId}::uuid`, sql`d.generation = ${activeGeneration}`];
  if (query.dateFrom) filters.push(sql`d.publication_date >= ${query.dateFrom.toISOString()}::timestamptz`);
  if (query.dateTo) filters.push(sql`d.publication_date <= ${query.dateTo.toISOString()}::timestamptz`);

  const mediaOk = query.mediaType ? sql`m.media_type = ${query.mediaType}` : sql`true`;
  const languageOk = query.language ? sql`m.language = ${query.language}` : sql`true`;
  const categoryOk = query.category ? sql`m.categories @> ARRAY[${query.category}]::text[]` : sql`true`;

  let matched: RawBuilder<unknown>;
  let prelude = sql``;
  if (words.length === 0) {
    matched = sql`
      SELECT d.content_id, d.media_type, d.language, d.categories, d.publication_date,
             0 AS tier, 0::real AS score
      FROM search_documents d WHERE ${sql.join(filters, sql` AND `)}`;
  } else {
    const { prelude: queriesCte, expanded, exact, exactInTitle, corrected } = wordQueries(query.orgId, words);
    prelude = queriesCte;
    matched = sql`
      SELECT d.content_id, d.media_type, d.language, d.categories, d.publication_date,
             CASE WHEN ${corrected} AND NOT d.search_vector @@ ${exact} THEN 2
                  WHEN d.search_vector @@ ${exactInTitle} THEN 0
                  ELSE 1 END AS tier,
             ts_rank(d.search_vector, ${expanded}) AS score
      FROM search_documents d
      WHERE ${sql.join(filters, sql` AND `)} AND d.search_vector @@ ${expanded}`;
  }

  const allFilters = sql`${mediaOk} AND ${languageOk} AND ${categoryOk}`;
  return sql<SearchRow>`
    WITH ${prelude}
    matched AS MATERIALIZED (${matched})
    SELECT
      (SELECT count(*) FROM matched m WHERE ${allFilters}) AS total,
      (SELECT coalesce(json_agg(p.content_id
                ORDER BY p.tier, p.score DESC, p.publication_date DESC NULLS LAST, p.content_id), '[]')
       FROM (SELECT m.content_id, m.tier, m.score, m.publication_date FROM matched m
             WHERE ${allFilters}
             ORDER BY m.tier, m.score DESC, m.publication_date DESC NULLS LAST, m.content_id
             LIMIT ${query.limit} OFFSET ${query.offset}) p) AS ids,
      ${facetJson(sql`SELECT m.media_type AS value, count(*) AS n FROM matched m
                      WHERE ${languageOk} AND ${categoryOk} GROUP BY 1`)} AS media_types,
      ${facetJson(sql`SELECT c.value, count(*) AS n
                      FROM (SELECT unnest(m.categories) AS value FROM matched m WHERE ${mediaOk} AND ${languageOk}) c
                      GROUP BY 1`)} AS categories,
      ${facetJson(sql`SELECT m.language AS value, count(*) AS n FROM matched m
                      WHERE ${mediaOk} AND ${categoryOk} GROUP BY 1`)} AS languages
  `;
}

/**
 * The tsqueries of a query's words, built in the statement from the org's vocabulary:
 * - the last word is completed: it stands for the vocabulary words it begins, the shortest first, at
 *   most MAX_COMPLETIONS (looked up on the C-collated primary key) — never for a GIN prefix match,
 *   which reads every posting of every word with that prefix (`the:*`: nearly every document) where
 *   a list of words lets GIN start from the rarest word of the query;
 * - a word of MIN_TYPO_WORD_LENGTH or more letters also stands for up to CORRECTIONS_PER_WORD
 *   vocabulary words one typo away (two from TWO_TYPOS_WORD_LENGTH letters), as Meilisearch counts
 *   typos (search_typo_distance: a swap of two letters is one), among the most trigram-similar ones
 *   (pg_trgm `%`, similarity ≥ 0.3, the operator's default). Similarity alone would read "museu"
 *   as "music" and make a query for museums a query for music.
 * `expanded` matches and scores; `exact` (no corrections) and `exactInTitle` (every word among the
 * title's lexemes) tier. Each word is a plain parameter of its own subqueries, so the planner sees the
 * values and uses the indexes; the queries are computed once (to_tsquery is only stable: inline, it
 * would be parsed again for every matching row).
 */
function wordQueries(orgId: string, words: readonly string[]) {
  const vocabulary = sql`t.org_id = ${orgId}::uuid AND t.generation = ${activeGeneration}`;
  const rows = words.map((word, i) => {
    const completes = i === words.length - 1 && word.length >= MIN_COMPLETED_WORD_LENGTH;
    // The word itself always: short words and numbers are not in the vocabulary. Words hold only
    // letters and digits (searchWords), so there is no LIKE wildcard to escape.
    const terms = completes
      ? sql`ARRAY[${word}::text] || coalesce((
              SELECT array_agg(c.term ORDER BY c.term)
              FROM (SELECT t.term FROM search_terms t
                    WHERE ${vocabulary} AND t.term LIKE ${`${word}%`} AND t.term <> ${word}::text
                    ORDER BY length(t.term), t.term LIMIT ${MAX_COMPLETIONS - 1}) c), '{}')`
      : sql`ARRAY[${word}::text]`;
    // Trigram similarity finds candidates through the index; the typo distance decides.
    const typos = typosAllowed(word);
    const corrections =
      word.length >= MIN_TYPO_WORD_LENGTH
        ? sql`(SELECT array_agg(c.term ORDER BY c.term)
               FROM (SELECT k.term FROM (
                       SELECT t.term, similarity(t.term, ${word}::text) AS similarity FROM search_terms t
                       WHERE ${vocabulary} AND t.term % ${word}::text AND t.term <> ${word}::text
                         AND abs(length(t.term) - ${word.length}::int) <= ${typos}
                       ORDER BY 2 DESC, 1 LIMIT ${CORRECTION_CANDIDATES}) k
                     WHERE search_typo_distance(k.term, ${word}::text, ${typos}) <= ${typos}
                     ORDER BY k.similarity DESC, k.term LIMIT ${CORRECTIONS_PER_WORD}) c)`
        : sql`NULL::text[]`;
    return sql`(${i + 1}::int, ${terms}, ${corrections})`;
  });
  const alternatives = (weight: '' | 'A') =>
    sql`(SELECT string_agg(quote_literal(x) || ${weight ? `:${weight}` : ''}, ' | ') FROM unnest(a.terms) x)`;
  const corrections = sql`coalesce(' | ' || (SELECT string_agg(quote_literal(x), ' | ') FROM unnest(a.corrections) x), '')`;
  return {
    prelude: sql`
      alternatives (position, terms, corrections) AS MATERIALIZED (VALUES ${sql.join(rows)}),
      queries AS MATERIALIZED (
        SELECT
          to_tsquery('simple', string_agg('(' || ${alternatives('')} || ${corrections} || ')', ' & ' ORDER BY a.position))
            AS expanded,
          to_tsquery('simple', string_agg('(' || ${alternatives('')} || ')', ' & ' ORDER BY a.position)) AS exact,
          to_tsquery('simple', string_agg('(' || ${alternatives('A')} || ')', ' & ' ORDER BY a.position))
            AS exact_in_title,
          bool_or(a.corrections IS NOT NULL) AS corrected
        FROM alternatives a
      ),`,
    expanded: sql`(SELECT expanded FROM queries)`,
    exact: sql`(SELECT exact FROM queries)`,
    exactInTitle: sql`(SELECT exact_in_title FROM queries)`,
    corrected: sql`(SELECT corrected FROM queries)`,
  };
}

/** [[value, count], …] of a (value, n) query: largest counts first, then by value; bounded. */
function facetJson(counts: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(SELECT coalesce(json_agg(json_build_array(f.value, f.n) ORDER BY f.n DESC, f.value), '[]')
              FROM (SELECT * FROM (${counts}) x ORDER BY x.n DESC, x.value LIMIT ${FACET_VALUES_LIMIT}) f)`;
}
