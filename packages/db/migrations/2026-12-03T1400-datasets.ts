import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// Datasets, assets, files, profiles and todos (SPEC §5; docs/datasets.md, docs/files.md).
//
// - datasets / assets / dataset_items / annotations: a draft dataset owns the assets uploaded for it;
//   publishing writes its items and their annotations in one transaction. Every link between these
//   rows is a composite foreign key on (org_id, id), so no row can point into another org.
//   dataset_items are read in manifest order, keyset on (created_at, id): publish gives each item its
//   own created_at (the publish time plus its position in microseconds).
// - asset_access_log / file_access_log: one row per signed URL handed out or public link followed.
// - files / file_links: a user's uploads and the revocable public links to them (only the SHA-256 of
//   a link's token is stored).
// - profiles: one per user; todos: private to their owner.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('datasets')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('draft').check(sql`status IN ('draft', 'published', 'archived')`),
    )
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('published_at', 'timestamptz')
    .addColumn('item_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('datasets_org_id_id_key', ['org_id', 'id'])
    .addCheckConstraint('datasets_published_check', sql`(status = 'draft') = (published_at IS NULL)`)
    .execute();
  await sql`ALTER TABLE datasets ADD CONSTRAINT datasets_created_by_fkey
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)`.execute(
    db,
  );
  await sql`CREATE INDEX datasets_list_idx ON datasets (org_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX datasets_draft_idx ON datasets (created_at) WHERE status = 'draft'`.execute(db);

  await db.schema
    .createTable('assets')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('dataset_id', 'uuid')
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('image', 'video', 'audio', 'document')`))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull().unique())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('byte_size', 'bigint', (c) => c.notNull().check(sql`byte_size >= 0`))
    .addColumn('sha256', 'text', (c) => c.notNull().check(sql`sha256 ~ '^[0-9a-f]{64}$'`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status IN ('pending', 'available', 'missing')`),
    )
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('assets_org_id_id_key', ['org_id', 'id'])
    .addForeignKeyConstraint(
      'assets_dataset_fkey',
      ['org_id', 'dataset_id'],
      'datasets',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX assets_dataset_idx ON assets (dataset_id)`.execute(db);

  await db.schema
    .createTable('dataset_items')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('dataset_id', 'uuid', (c) => c.notNull())
    .addColumn('type', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`type IN ('image_pair_compare', 'image_ranked_gallery', 'video_with_timeline', 'audio_with_captions')`,
        ),
    )
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('dataset_items_org_id_id_key', ['org_id', 'id'])
    .addForeignKeyConstraint(
      'dataset_items_dataset_fkey',
      ['org_id', 'dataset_id'],
      'datasets',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX dataset_items_page_idx ON dataset_items (dataset_id, created_at, id)`.execute(db);
  await sql`CREATE INDEX dataset_items_type_idx ON dataset_items (dataset_id, type, created_at, id)`.execute(
    db,
  );
  await sql`CREATE INDEX dataset_items_tags_idx ON dataset_items USING gin (tags)`.execute(db);

  await db.schema
    .createTable('annotations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('item_id', 'uuid', (c) => c.notNull())
    .addColumn('schema', 'text', (c) => c.notNull().check(sql`schema IN ('timeline_v1', 'captions_v1')`))
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addForeignKeyConstraint(
      'annotations_item_fkey',
      ['org_id', 'item_id'],
      'dataset_items',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX annotations_item_idx ON annotations (item_id)`.execute(db);

  await db.schema
    .createTable('asset_access_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('asset_id', 'uuid', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ip', 'text')
    .addForeignKeyConstraint(
      'asset_access_log_asset_fkey',
      ['org_id', 'asset_id'],
      'assets',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX asset_access_log_asset_idx ON asset_access_log (asset_id, at)`.execute(db);

  await db.schema
    .createTable('files')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('owner_id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull().unique())
    .addColumn('declared_content_type', 'text', (c) => c.notNull())
    // Sniffed from the bytes once the upload is complete; null until then.
    .addColumn('content_type', 'text')
    .addColumn('byte_size', 'bigint', (c) => c.notNull().check(sql`byte_size >= 0`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status IN ('pending', 'available')`),
    )
    .addColumn('scan_status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`scan_status IN ('pending', 'clean', 'infected', 'error')`),
    )
    .addColumn('scan_engine', 'text')
    .addColumn('scan_signature', 'text')
    .addColumn('scanned_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('uploaded_at', 'timestamptz')
    .addUniqueConstraint('files_org_id_id_key', ['org_id', 'id'])
    .addForeignKeyConstraint('files_owner_fkey', ['org_id', 'owner_id'], 'users', ['org_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX files_owner_idx ON files (org_id, owner_id, created_at DESC, id DESC)`.execute(db);

  await db.schema
    .createTable('file_links')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'uuid', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('file_links_org_id_id_key', ['org_id', 'id'])
    .addForeignKeyConstraint('file_links_file_fkey', ['org_id', 'file_id'], 'files', ['org_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX file_links_file_idx ON file_links (file_id, created_at DESC)`.execute(db);

  await db.schema
    .createTable('file_access_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('link_id', 'uuid')
    .addColumn('user_id', 'uuid')
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('signed', 'public')`))
    .addColumn('outcome', 'text', (c) =>
      c.notNull().check(sql`outcome IN ('served', 'expired', 'revoked', 'infected', 'unavailable')`),
    )
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ip', 'text')
    .addForeignKeyConstraint(
      'file_access_log_file_fkey',
      ['org_id', 'file_id'],
      'files',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX file_access_log_file_idx ON file_access_log (file_id, at)`.execute(db);

  await db.schema
    .createTable('profiles')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('bio', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('links', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('visibility', 'text', (c) =>
      c.notNull().defaultTo('org').check(sql`visibility IN ('org', 'private')`),
    )
    .addColumn('avatar_file_id', 'uuid')
    .addColumn('track_file_id', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('profiles_user_fkey', ['org_id', 'user_id'], 'users', ['org_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await sql`ALTER TABLE profiles ADD CONSTRAINT profiles_avatar_fkey
    FOREIGN KEY (org_id, avatar_file_id) REFERENCES files (org_id, id) ON DELETE SET NULL (avatar_file_id)`.execute(
    db,
  );
  await sql`ALTER TABLE profiles ADD CONSTRAINT profiles_track_fkey
    FOREIGN KEY (org_id, track_file_id) REFERENCES files (org_id, id) ON DELETE SET NULL (track_file_id)`.execute(
    db,
  );

  await db.schema
    .createTable('todos')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('owner_id', 'uuid', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('due_date', 'date')
    .addColumn('priority', 'text', (c) =>
      c.notNull().defaultTo('normal').check(sql`priority IN ('low', 'normal', 'high')`),
    )
    .addColumn('labels', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status IN ('open', 'done')`))
    .addColumn('completed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('todos_completed_check', sql`(status = 'done') = (completed_at IS NOT NULL)`)
    .addForeignKeyConstraint('todos_owner_fkey', ['org_id', 'owner_id'], 'users', ['org_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await sql`CREATE INDEX todos_owner_idx ON todos (owner_id, status, created_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'todos',
    'profiles',
    'file_access_log',
    'file_links',
    'files',
    'asset_access_log',
    'annotations',
    'dataset_items',
    'assets',
    'datasets',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
