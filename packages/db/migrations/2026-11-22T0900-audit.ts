import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// The hash-chained audit log (SPEC §7, docs/audit.md). Each org has its own chain: entries are
// numbered 1, 2, 3… per org and each one's checksum covers the previous one's. `audit_heads` holds
// the chain's last (seq, checksum) per org; appends lock that row FOR UPDATE, which serialises the
// writers of one org (no forks, no gaps) while different orgs append in parallel.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_entries')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('seq', 'bigint', (c) => c.notNull().check(sql`seq > 0`))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    // A user id, or NULL for the system. Deliberately no foreign key: an audit entry outlives the
    // user it names, and the log must never block (or cascade from) changes to users.
    .addColumn('actor_id', 'uuid')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text')
    // What changed, kept for display; payload_hash is what the chain covers.
    .addColumn('payload', 'jsonb')
    .addColumn('payload_hash', 'text', (c) => c.notNull())
    .addColumn('prev_checksum', 'text', (c) => c.notNull())
    .addColumn('checksum', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_entries_pkey', ['org_id', 'seq'])
    .execute();
  // audit.list filters; every one is scoped by org and pages newest first on seq.
  await sql`CREATE INDEX audit_entries_org_at_idx ON audit_entries (org_id, at DESC)`.execute(db);
  await sql`CREATE INDEX audit_entries_org_action_idx ON audit_entries (org_id, action, seq DESC)`.execute(
    db,
  );
  await sql`CREATE INDEX audit_entries_org_actor_idx ON audit_entries (org_id, actor_id, seq DESC) WHERE actor_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX audit_entries_org_resource_idx ON audit_entries (org_id, resource_type, resource_id, seq DESC)`.execute(
    db,
  );

  await db.schema
    .createTable('audit_heads')
    .addColumn('org_id', 'uuid', (c) => c.primaryKey().references('orgs.id').onDelete('cascade'))
    .addColumn('seq', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`seq >= 0`))
    .addColumn('checksum', 'text', (c) => c.notNull().defaultTo('GENESIS'))
    .execute();

  // Append-only, enforced by the database as well as by the code: UPDATE, DELETE and TRUNCATE of
  // audit entries are refused. The one exception is the cascade of deleting the org itself (the
  // foreign key's own DELETE runs at trigger depth 2). Whoever bypasses this (disables the trigger,
  // edits the files) is what audit.verify and the daily integrity report are there to catch.
  await sql`
    CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit_entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()`.execute(
    db,
  );
  await sql`CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_heads').execute();
  await db.schema.dropTable('audit_entries').execute();
  await sql`DROP FUNCTION audit_entries_append_only()`.execute(db);
}
