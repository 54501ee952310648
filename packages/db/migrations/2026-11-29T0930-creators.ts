import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// The creator programme (SPEC §3, docs/creators.md) and the realtime overflow table (SPEC §2,
// docs/realtime.md).
//
// - creator_applications: one row per application. The applicant and the reviewer are users of the
//   application's own org (composite foreign keys on (org_id, id)), so no statement can link another
//   org's user. "One open application per user" is a partial unique index on pending rows, so two
//   concurrent applies cannot both succeed. The reviewer reference is cleared when that user is
//   deleted (ON DELETE SET NULL (reviewed_by), PostgreSQL 15+); the applicant's rows go with them.
// - realtime_event_payloads: events published through PostgreSQL NOTIFY whose JSON exceeds what a
//   notification may carry (8000 bytes) are stored here and announced by id; listeners read them
//   back. Rows are short-lived (publishers delete rows older than ten minutes).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('creator_applications')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status IN ('pending', 'approved', 'rejected', 'withdrawn')`),
    )
    .addColumn('experience', 'text', (c) => c.notNull())
    .addColumn('portfolio_url', 'text')
    .addColumn('motivation', 'text', (c) => c.notNull())
    .addColumn('social_links', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('additional_info', 'text')
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('reviewed_at', 'timestamptz')
    .addColumn('reviewed_by', 'uuid')
    .addColumn('review_notes', 'text')
    .addColumn('rejection_reason', 'text')
    .addColumn('withdrawn_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      'creator_applications_user_fkey',
      ['org_id', 'user_id'],
      'users',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    // A decided application names who decided; a rejected one says why.
    .addCheckConstraint(
      'creator_applications_review_check',
      sql`(status IN ('approved', 'rejected')) = (reviewed_at IS NOT NULL)
          AND (status <> 'rejected' OR rejection_reason IS NOT NULL)
          AND (status <> 'withdrawn' OR withdrawn_at IS NOT NULL)`,
    )
    .execute();
  await sql`ALTER TABLE creator_applications ADD CONSTRAINT creator_applications_reviewer_fkey
    FOREIGN KEY (org_id, reviewed_by) REFERENCES users (org_id, id) ON DELETE SET NULL (reviewed_by)`.execute(
    db,
  );
  await sql`CREATE UNIQUE INDEX creator_applications_one_open_idx ON creator_applications (user_id) WHERE status = 'pending'`.execute(
    db,
  );
  // The review queue (oldest first) and "my latest application".
  await sql`CREATE INDEX creator_applications_queue_idx ON creator_applications (org_id, submitted_at, id) WHERE status = 'pending'`.execute(
    db,
  );
  await sql`CREATE INDEX creator_applications_user_idx ON creator_applications (org_id, user_id, submitted_at DESC)`.execute(
    db,
  );
  await sql`CREATE INDEX creator_applications_reviewer_idx ON creator_applications (org_id, reviewed_by) WHERE reviewed_by IS NOT NULL`.execute(
    db,
  );

  await db.schema
    .createTable('realtime_event_payloads')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('event', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX realtime_event_payloads_created_at_idx ON realtime_event_payloads (created_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('realtime_event_payloads').execute();
  await db.schema.dropTable('creator_applications').execute();
}
