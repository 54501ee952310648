import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// The content module (SPEC §4, docs/content.md).
//
// - contents: one row per piece of content. `version` starts at 1 and grows by one with every write
//   to the content, its media or its categories: optimistic concurrency (`expectedVersion` → 409),
//   the cache's version stamps and the indexer's "already indexed" check all compare it.
//   `indexed_version` is the version the search index last received (written by the worker only).
//   The author is a user of the content's own org (composite foreign key); deleting the user keeps
//   the content, without an author.
// - categories: names unique per org, compared without case.
// - content_categories: the link, carrying org_id so composite foreign keys keep both ends in one org.
// - content_media: at most one per content. An external URL is unique per org, so importing the same
//   address twice finds the existing content (imports.byUrl answers it) even under a race.
// - import_batches: one bulk import (imports.bulk): the addresses asked for, and one result line per
//   address as the job gets through them (progress is `jsonb_array_length(results)` of `total`).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('contents')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('author_id', 'uuid')
    .addColumn('title', 'text', (c) => c.notNull().check(sql`char_length(title) BETWEEN 1 AND 255`))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('duration_seconds', 'integer', (c) => c.check(sql`duration_seconds >= 0`))
    .addColumn('publication_date', 'timestamptz')
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('draft').check(sql`status IN ('draft', 'published', 'archived')`),
    )
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('indexed_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('contents_org_id_id_key', ['org_id', 'id'])
    .execute();
  await sql`ALTER TABLE contents ADD CONSTRAINT contents_author_fkey
    FOREIGN KEY (org_id, author_id) REFERENCES users (org_id, id) ON DELETE SET NULL (author_id)`.execute(db);
  // Lists: newest change first, per org; by status (review); by author (my content).
  await sql`CREATE INDEX contents_org_updated_idx ON contents (org_id, updated_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX contents_author_idx ON contents (org_id, author_id, updated_at DESC, id DESC)`.execute(
    db,
  );
  // The indexer's reindex reads contents in keyset pages of id; the catch-up reads what changed.
  await sql`CREATE INDEX contents_updated_idx ON contents (updated_at)`.execute(db);

  await db.schema
    .createTable('categories')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) BETWEEN 1 AND 100`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('categories_org_id_id_key', ['org_id', 'id'])
    .execute();
  await sql`CREATE UNIQUE INDEX categories_org_name_idx ON categories (org_id, lower(name))`.execute(db);

  await db.schema
    .createTable('content_categories')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('content_id', 'uuid', (c) => c.notNull())
    .addColumn('category_id', 'uuid', (c) => c.notNull())
    .addPrimaryKeyConstraint('content_categories_pkey', ['content_id', 'category_id'])
    .addForeignKeyConstraint(
      'content_categories_content_fkey',
      ['org_id', 'content_id'],
      'contents',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint(
      'content_categories_category_fkey',
      ['org_id', 'category_id'],
      'categories',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX content_categories_category_idx ON content_categories (category_id)`.execute(db);

  await db.schema
    .createTable('content_media')
    .addColumn('content_id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull().check(sql`media_type IN ('audio', 'video')`))
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source IN ('upload', 'external')`))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('file_id', 'uuid')
    .addColumn('external_url', 'text')
    .addColumn('thumbnail_url', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      'content_media_content_fkey',
      ['org_id', 'content_id'],
      'contents',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .addCheckConstraint(
      'content_media_kind_check',
      sql`(source = 'external') = (external_url IS NOT NULL) AND (source = 'upload') = (provider = 'team')`,
    )
    .execute();
  await sql`CREATE UNIQUE INDEX content_media_external_url_idx ON content_media (org_id, external_url)
    WHERE external_url IS NOT NULL`.execute(db);

  await db.schema
    .createTable('import_batches')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('urls', 'jsonb', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('results', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('queued').check(sql`status IN ('queued', 'running', 'completed', 'failed')`),
    )
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      'import_batches_user_fkey',
      ['org_id', 'user_id'],
      'users',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX import_batches_user_idx ON import_batches (org_id, user_id, created_at DESC)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('import_batches').execute();
  await db.schema.dropTable('content_media').execute();
  await db.schema.dropTable('content_categories').execute();
  await db.schema.dropTable('categories').execute();
  await db.schema.dropTable('contents').execute();
}
