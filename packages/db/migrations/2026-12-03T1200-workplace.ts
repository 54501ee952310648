import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// Workplace and SoluM AIMS sync (SPEC §9, docs/workplace.md).
// - aims_connections: one per org. The password is stored only sealed (AES-256-GCM, the
//   notifications keyring, bound to the org), never returned. status/paused are the health probe's;
//   last_failure_notice_at rate-limits the `sync-failed` notice to admins.
// - spaces, people, conference_rooms: the org's workplace. `external_id` is the AIMS article id
//   (rooms: `C` + external_id). A person holds at most one space and a space at most one person
//   (unique assigned_space_id); linked_label_code is the label AIMS has linked to the article.
// - sync_runs: full syncs. At most one running per org (partial unique index).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('aims_connections')
    .addColumn('org_id', 'uuid', (c) => c.primaryKey().references('orgs.id').onDelete('cascade'))
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('cluster', 'text', (c) => c.notNull().check(sql`cluster IN ('common', 'c1')`))
    .addColumn('company', 'text', (c) => c.notNull())
    .addColumn('store', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('password_enc', 'bytea', (c) => c.notNull())
    .addColumn('field_mapping', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('conflict_strategy', 'text', (c) =>
      c
        .notNull()
        .defaultTo('server_wins')
        .check(sql`conflict_strategy IN ('server_wins', 'aims_wins', 'newest_wins')`),
    )
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('unknown').check(sql`status IN ('unknown', 'up', 'down')`),
    )
    .addColumn('last_ok_at', 'timestamptz')
    .addColumn('last_checked_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('paused', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('last_failure_notice_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  const syncStatus = sql`sync_status IN ('pending', 'syncing', 'synced', 'failed')`;

  await db.schema
    .createTable('spaces')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('label_code', 'text')
    .addColumn('linked_label_code', 'text')
    .addColumn('template_name', 'text')
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('sync_status', 'text', (c) => c.notNull().defaultTo('pending').check(syncStatus))
    .addColumn('sync_error', 'text')
    .addColumn('last_synced_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('spaces_org_external_key', ['org_id', 'external_id'])
    .addUniqueConstraint('spaces_org_id_key', ['org_id', 'id'])
    .execute();
  await sql`CREATE INDEX spaces_list_idx ON spaces (org_id, external_id, id)`.execute(db);
  await sql`CREATE INDEX spaces_sync_idx ON spaces (org_id, sync_status) WHERE sync_status <> 'synced'`.execute(
    db,
  );

  await db.schema
    .createTable('people')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('external_id', 'text')
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('assigned_space_id', 'uuid', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('people_org_external_key', ['org_id', 'external_id'])
    .addForeignKeyConstraint('people_space_fkey', ['org_id', 'assigned_space_id'], 'spaces', ['org_id', 'id'])
    .execute();
  // A deleted space frees its person (the composite key cannot SET NULL only one column before PG 15;
  // PostgreSQL 15+ can, and the project requires it).
  await sql`ALTER TABLE people DROP CONSTRAINT people_space_fkey`.execute(db);
  await sql`ALTER TABLE people ADD CONSTRAINT people_space_fkey FOREIGN KEY (org_id, assigned_space_id)
    REFERENCES spaces (org_id, id) ON DELETE SET NULL (assigned_space_id)`.execute(db);
  await sql`CREATE INDEX people_list_idx ON people (org_id, created_at, id)`.execute(db);

  await db.schema
    .createTable('conference_rooms')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('room_name', 'text', (c) => c.notNull())
    .addColumn('label_code', 'text')
    .addColumn('linked_label_code', 'text')
    .addColumn('has_meeting', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('meeting_name', 'text')
    .addColumn('start_time', 'text')
    .addColumn('end_time', 'text')
    .addColumn('participants', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('page', 'integer', (c) => c.notNull().defaultTo(1).check(sql`page BETWEEN 1 AND 7`))
    .addColumn('sync_status', 'text', (c) => c.notNull().defaultTo('pending').check(syncStatus))
    .addColumn('sync_error', 'text')
    .addColumn('last_synced_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('conference_rooms_org_external_key', ['org_id', 'external_id'])
    .execute();
  await sql`CREATE INDEX conference_rooms_sync_idx ON conference_rooms (org_id, sync_status) WHERE sync_status <> 'synced'`.execute(
    db,
  );

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger IN ('manual', 'schedule')`))
    .addColumn('entities', sql`text[]`, (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('running').check(sql`status IN ('running', 'succeeded', 'failed')`),
    )
    .addColumn('requested_by', 'uuid')
    .addColumn('downloaded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('uploaded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('conflicts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await sql`CREATE UNIQUE INDEX sync_runs_one_running_idx ON sync_runs (org_id) WHERE status = 'running'`.execute(
    db,
  );
  await sql`CREATE INDEX sync_runs_list_idx ON sync_runs (org_id, started_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sync_runs').execute();
  await db.schema.dropTable('conference_rooms').execute();
  await db.schema.dropTable('people').execute();
  await db.schema.dropTable('spaces').execute();
  await db.schema.dropTable('aims_connections').execute();
}
