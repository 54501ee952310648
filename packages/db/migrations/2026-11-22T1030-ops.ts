import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// The Ops console (SPEC §8, docs/ops.md):
// - queue_controls: an operator's pause of a queue, read by every worker (LISTEN + poll) so a paused
//   queue is not fetched. No row = running. Jobs keep accumulating in pg-boss while paused.
// - ops_queue_samples: per-queue, per-org snapshots the workers take every OPS_SAMPLE_SECONDS, for
//   the depth and failure charts. One row per (captured_at, queue, org_id); org_id NULL holds the
//   jobs no org owns and doubles as the "this bucket was sampled" marker. NULLS NOT DISTINCT
//   (PostgreSQL 15+) makes concurrent samplers of one bucket collide instead of double-counting.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('queue_controls')
    .addColumn('queue', 'text', (c) => c.primaryKey())
    .addColumn('paused', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('paused_at', 'timestamptz')
    // The operator; no foreign key, like audit: the control outlives the user.
    .addColumn('paused_by', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('ops_queue_samples')
    .addColumn('captured_at', 'timestamptz', (c) => c.notNull())
    .addColumn('queue', 'text', (c) => c.notNull())
    // The org the jobs are attributed to (the job payload's orgId); no foreign key: a sample is history.
    .addColumn('org_id', 'uuid')
    // Gauges at captured_at.
    .addColumn('waiting', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    // Counters over the interval that ends at captured_at.
    .addColumn('completed_delta', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed_delta', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .execute();
  await sql`ALTER TABLE ops_queue_samples ADD CONSTRAINT ops_queue_samples_key UNIQUE NULLS NOT DISTINCT (captured_at, queue, org_id)`.execute(
    db,
  );
  await sql`CREATE INDEX ops_queue_samples_queue_idx ON ops_queue_samples (queue, captured_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ops_queue_samples').execute();
  await db.schema.dropTable('queue_controls').execute();
}
