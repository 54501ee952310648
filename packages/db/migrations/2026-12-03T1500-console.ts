import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// The Ops console's view of the running processes (SPEC §8 "Processes", docs/ops.md): every worker
// and scheduler process inserts one row when it starts (a fresh id per start) and moves
// `last_beat_at` forward every `beat_seconds`. A process whose beat is more than a few beats old is
// missing; a clean stop sets `stopped_at`. Nothing to configure: the console reads this table, so any
// number of replicas on any number of hosts show up by themselves. Rows of processes gone for a day
// are pruned by the beating processes.
//
// The platform audit chain (SPEC §8: platform operators' actions go to a chain of their own, not to
// the chain of whichever org the operator belongs to): the audit tables keep one chain per org_id,
// and the platform's is org_id = the nil UUID, which no org has. audit_entries and audit_heads
// referenced orgs; those foreign keys are replaced by a trigger that admits an existing org or the
// platform chain, and by an AFTER DELETE trigger on orgs that removes a deleted org's chain, as the
// cascade did (the append-only trigger lets a trigger's delete through, as it did the cascade's).
export const PLATFORM_AUDIT_CHAIN = '00000000-0000-0000-0000-000000000000';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ops_processes')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('worker', 'scheduler')`))
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    // [{ queue, concurrency }]: the queues this process consumes (empty for a scheduler).
    .addColumn('queues', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // Its ops server (/health/ready, /metrics), as the process itself sees it.
    .addColumn('ops_url', 'text')
    .addColumn('beat_seconds', 'integer', (c) => c.notNull().check(sql`beat_seconds > 0`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_beat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('stopped_at', 'timestamptz')
    .execute();
  await sql`CREATE INDEX ops_processes_last_beat_idx ON ops_processes (last_beat_at DESC)`.execute(db);

  await sql`ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_org_id_fkey`.execute(db);
  await sql`ALTER TABLE audit_heads DROP CONSTRAINT audit_heads_org_id_fkey`.execute(db);
  await sql`
    CREATE FUNCTION audit_chain_org_exists() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.org_id <> '${sql.raw(PLATFORM_AUDIT_CHAIN)}'::uuid AND NOT EXISTS (SELECT 1 FROM orgs WHERE id = NEW.org_id) THEN
        RAISE EXCEPTION 'audit chain of unknown org %', NEW.org_id USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER audit_heads_org_exists BEFORE INSERT OR UPDATE OF org_id ON audit_heads FOR EACH ROW EXECUTE FUNCTION audit_chain_org_exists()`.execute(
    db,
  );
  await sql`
    CREATE FUNCTION orgs_drop_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM audit_entries WHERE org_id = OLD.id;
      DELETE FROM audit_heads WHERE org_id = OLD.id;
      RETURN OLD;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER orgs_drop_audit_chain AFTER DELETE ON orgs FOR EACH ROW EXECUTE FUNCTION orgs_drop_audit_chain()`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER orgs_drop_audit_chain ON orgs`.execute(db);
  await sql`DROP FUNCTION orgs_drop_audit_chain()`.execute(db);
  await sql`DROP TRIGGER audit_heads_org_exists ON audit_heads`.execute(db);
  await sql`DROP FUNCTION audit_chain_org_exists()`.execute(db);
  await sql`ALTER TABLE audit_heads ADD CONSTRAINT audit_heads_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE`.execute(
    db,
  );
  await sql`ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE`.execute(
    db,
  );
  await db.schema.dropTable('ops_processes').execute();
}
