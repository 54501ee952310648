import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// The embedded search index (SPEC §4 discovery, docs/discovery.md): what the PostgreSQL adapter of the
// SearchPort reads and writes when no Meilisearch is configured. Every table carries a generation:
// a reindex fills generation N+1 while searches read N, then switches search_index_state over.
//
// - search_index_state: one row naming the generation searches read and, during a rebuild, the one
//   being filled. Index writers lock it (FOR UPDATE), so they never interleave.
// - search_documents: one row per (org, content, generation) with only what search needs: the facet
//   fields, the publication date and a tsvector built by the adapter with the language-agnostic
//   `simple` configuration: title A, categories B, author D with positions, and the description's
//   words without positions (stripped) — they match, but their positions made every row a fifth
//   larger (one heap page per match is what a broad query pays) for no ranking that mattered
//   (docs/discovery.md has the measurements). No foreign key to contents: the index follows the
//   content tables through jobs and may briefly hold ids they no longer have (discovery drops them
//   when hydrating).
// - search_terms: every word (3+ characters, not only digits) the org's documents contain: the
//   vocabulary a misspelt query word is corrected against through its trigram index ("podcsat" →
//   "podcast"), and a word being typed is completed from through its C-collated key. It only grows
//   between rebuilds.
// - search_facet_counts: documents per (media type, language, category) of each org, kept by
//   triggers on search_documents, so the facets of an unfiltered listing (the Library's landing
//   page) are a few hundred rows to add up instead of the whole org's documents. Category '' counts
//   every document once (categories themselves are never empty); other rows count the documents in
//   that category. No foreign key: rows reach zero, and are deleted, through the triggers when an
//   org's documents go (cascade included).
// - search_tombstones: ids removed while a rebuild runs, so a rebuild batch read before the removal
//   cannot bring the document back into the new generation.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  // (org_id, term gin_trgm_ops) in one GIN index: trigram lookups limited to one org's vocabulary.
  await sql`CREATE EXTENSION IF NOT EXISTS btree_gin`.execute(db);

  await db.schema
    .createTable('search_index_state')
    .addColumn('id', 'boolean', (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn('active_generation', 'bigint', (c) => c.notNull().defaultTo(1))
    .addColumn('building_generation', 'bigint')
    .addColumn('building_started_at', 'timestamptz')
    .addCheckConstraint(
      'search_index_state_building_check',
      sql`(building_generation IS NULL) = (building_started_at IS NULL)
          AND (building_generation IS NULL OR building_generation > active_generation)`,
    )
    .execute();
  await sql`INSERT INTO search_index_state (id) VALUES (true)`.execute(db);

  await db.schema
    .createTable('search_documents')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .addColumn('content_id', 'uuid', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull().check(sql`media_type IN ('audio', 'video')`))
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('categories', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('publication_date', 'timestamptz')
    .addColumn('search_vector', sql`tsvector`, (c) => c.notNull())
    .addPrimaryKeyConstraint('search_documents_pkey', ['org_id', 'generation', 'content_id'])
    .execute();
  // Listings (no query words): newest first, the facet filters answered from the index itself.
  await sql`CREATE INDEX search_documents_recent_idx
    ON search_documents (org_id, generation, publication_date DESC NULLS LAST, content_id)
    INCLUDE (media_type, language, categories)`.execute(db);
  // fastupdate off on both GIN indexes: with it on, writes collect in a pending list (up to 4 MB) that
  // every search scans linearly until a vacuum merges it. Searches are the hot path here; writes are
  // background jobs.
  await sql`CREATE INDEX search_documents_vector_idx ON search_documents USING gin (search_vector)
    WITH (fastupdate = off)`.execute(db);

  await db.schema
    .createTable('search_terms')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('generation', 'bigint', (c) => c.notNull())
    // Byte order, so `term LIKE 'astro%'` is a range of the primary key in every database locale.
    .addColumn('term', sql`text COLLATE "C"`, (c) => c.notNull())
    .addPrimaryKeyConstraint('search_terms_pkey', ['org_id', 'generation', 'term'])
    .execute();
  await sql`CREATE INDEX search_terms_trgm_idx ON search_terms USING gin (org_id, term gin_trgm_ops)
    WITH (fastupdate = off)`.execute(db);

  // Typo distance as Meilisearch counts typos: insertions, deletions, substitutions and swaps of two
  // neighbouring letters each count one (optimal string alignment). fuzzystrmatch's levenshtein counts
  // a swap as two — "podcsat" would be two typos from "podcast". Gives up (max_distance + 1) as soon as
  // a row of the table exceeds max_distance; only ever run on a handful of trigram candidates.
  await sql`
    CREATE FUNCTION search_typo_distance(a text, b text, max_distance integer) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    DECLARE
      la integer := length(a);
      lb integer := length(b);
      before_previous integer[];
      previous integer[];
      current integer[];
      row_best integer;
      ca text;
      cb text;
    BEGIN
      IF abs(la - lb) > max_distance THEN RETURN max_distance + 1; END IF;
      previous := array_fill(0, ARRAY[lb + 1], ARRAY[0]);
      FOR j IN 0..lb LOOP previous[j] := j; END LOOP;
      FOR i IN 1..la LOOP
        current := array_fill(0, ARRAY[lb + 1], ARRAY[0]);
        current[0] := i;
        row_best := i;
        ca := substr(a, i, 1);
        FOR j IN 1..lb LOOP
          cb := substr(b, j, 1);
          current[j] := least(previous[j] + 1, current[j - 1] + 1,
                              previous[j - 1] + CASE WHEN ca = cb THEN 0 ELSE 1 END);
          IF i > 1 AND j > 1 AND ca = substr(b, j - 1, 1) AND substr(a, i - 1, 1) = cb THEN
            current[j] := least(current[j], before_previous[j - 2] + 1);
          END IF;
          row_best := least(row_best, current[j]);
        END LOOP;
        IF row_best > max_distance THEN RETURN max_distance + 1; END IF;
        before_previous := previous;
        previous := current;
      END LOOP;
      RETURN least(previous[lb], max_distance + 1);
    END
    $$`.execute(db);

  await db.schema
    .createTable('search_facet_counts')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('documents', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('search_facet_counts_pkey', [
      'org_id',
      'generation',
      'media_type',
      'language',
      'category',
    ])
    .execute();

  // One function for the three statement-level triggers (a trigger with transition tables may have
  // only one event). Rows are aggregated per statement, so a 500-document batch touches each count
  // row once. Index writers hold search_index_state FOR UPDATE, so no two of these run for the same
  // org at once and the count rows are never locked in opposite orders.
  await sql`
    CREATE FUNCTION search_facet_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO search_facet_counts AS f (org_id, generation, media_type, language, category, documents)
        SELECT n.org_id, n.generation, n.media_type, n.language, c.category, count(*)
        FROM new_rows n
        CROSS JOIN LATERAL (SELECT '' UNION SELECT unnest(n.categories)) AS c(category)
        GROUP BY 1, 2, 3, 4, 5
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (org_id, generation, media_type, language, category)
        DO UPDATE SET documents = f.documents + excluded.documents;
      END IF;
      IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE search_facet_counts f SET documents = f.documents - o.documents
        FROM (
          SELECT o.org_id, o.generation, o.media_type, o.language, c.category, count(*) AS documents
          FROM old_rows o
          CROSS JOIN LATERAL (SELECT '' UNION SELECT unnest(o.categories)) AS c(category)
          GROUP BY 1, 2, 3, 4, 5
        ) o
        WHERE f.org_id = o.org_id AND f.generation = o.generation AND f.media_type = o.media_type
          AND f.language = o.language AND f.category = o.category;
        DELETE FROM search_facet_counts f
        USING (SELECT DISTINCT org_id, generation FROM old_rows) o
        WHERE f.org_id = o.org_id AND f.generation = o.generation AND f.documents <= 0;
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER search_facet_counts_insert AFTER INSERT ON search_documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_facet_counts_track()`.execute(
    db,
  );
  await sql`CREATE TRIGGER search_facet_counts_update AFTER UPDATE ON search_documents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_facet_counts_track()`.execute(db);
  await sql`CREATE TRIGGER search_facet_counts_delete AFTER DELETE ON search_documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_facet_counts_track()`.execute(
    db,
  );

  await db.schema
    .createTable('search_tombstones')
    .addColumn('generation', 'bigint', (c) => c.notNull())
    // No foreign key: removals arrive for orgs already deleted, and tombstones live only while a
    // rebuild runs.
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('content_id', 'uuid', (c) => c.notNull())
    .addPrimaryKeyConstraint('search_tombstones_pkey', ['generation', 'org_id', 'content_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('search_tombstones').execute();
  await db.schema.dropTable('search_documents').execute();
  await sql`DROP FUNCTION search_facet_counts_track()`.execute(db);
  await sql`DROP FUNCTION search_typo_distance(text, text, integer)`.execute(db);
  await db.schema.dropTable('search_facet_counts').execute();
  await db.schema.dropTable('search_terms').execute();
  await db.schema.dropTable('search_index_state').execute();
}
