import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// The scheduler (SPEC §8): schedules, one row per attempt of each occurrence, and the lease locks the
// replicas hold while they run one. The database carries the guarantees the code relies on: a unique
// (schedule_id, scheduled_for, attempt) — at most one run row per occurrence attempt, whatever any
// replica believes — and check constraints that keep a schedule's timing fields consistent with its kind.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('schedules')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull().unique().check(sql`name ~ '^[a-z0-9][a-z0-9._-]{1,99}$'`))
    .addColumn('handler', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('cron', 'interval', 'once')`))
    .addColumn('cron_expr', 'text')
    .addColumn('interval_seconds', 'integer', (c) => c.check(sql`interval_seconds > 0`))
    .addColumn('run_at', 'timestamptz')
    .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // completed: a `once` schedule whose occurrence has finished (see docs/scheduler.md).
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('active').check(sql`status IN ('active', 'paused', 'quarantined', 'completed')`),
    )
    .addColumn('max_attempts', 'integer', (c) =>
      c.notNull().defaultTo(3).check(sql`max_attempts BETWEEN 1 AND 100`),
    )
    .addColumn('backoff_seconds', 'integer', (c) =>
      c.notNull().defaultTo(30).check(sql`backoff_seconds >= 0`),
    )
    .addColumn('max_runtime_seconds', 'integer', (c) =>
      c.notNull().defaultTo(300).check(sql`max_runtime_seconds > 0`),
    )
    .addColumn('max_consecutive_failures', 'integer', (c) =>
      c.notNull().defaultTo(5).check(sql`max_consecutive_failures >= 1`),
    )
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('quarantined_at', 'timestamptz')
    .addColumn('misfire', 'text', (c) =>
      c.notNull().defaultTo('run_once').check(sql`misfire IN ('skip', 'run_once', 'catch_up')`),
    )
    .addColumn('max_catch_up', 'integer', (c) => c.notNull().defaultTo(1).check(sql`max_catch_up >= 0`))
    .addColumn('next_run_at', 'timestamptz')
    .addColumn('last_run_at', 'timestamptz')
    // The occurrence being retried: its slot, the attempt to run next and when. While set, later
    // occurrences wait (one occurrence at a time per schedule).
    .addColumn('retry_at', 'timestamptz')
    .addColumn('retry_scheduled_for', 'timestamptz')
    .addColumn('retry_attempt', 'integer')
    // A pending `triggerNow`: the claim that runs it clears it in the same transaction.
    .addColumn('manual_run_at', 'timestamptz')
    // A catch-up in progress after downtime: slots still to run, then where regular slots resume.
    .addColumn('catch_up_remaining', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('catch_up_resume_at', 'timestamptz')
    // Defined in code (apps/scheduler/src/schedules.ts) and upserted on start.
    .addColumn('builtin', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'schedules_timing_check',
      sql`(kind = 'cron' AND cron_expr IS NOT NULL)
        OR (kind = 'interval' AND interval_seconds IS NOT NULL)
        OR (kind = 'once' AND run_at IS NOT NULL)`,
    )
    .addCheckConstraint(
      'schedules_retry_check',
      sql`(retry_at IS NULL) = (retry_scheduled_for IS NULL) AND (retry_at IS NULL) = (retry_attempt IS NULL)`,
    )
    .execute();
  // The tick's working set: what is due, by when.
  await sql`CREATE INDEX schedules_next_run_idx ON schedules (next_run_at) WHERE status = 'active'`.execute(
    db,
  );
  await sql`CREATE INDEX schedules_retry_idx ON schedules (retry_at) WHERE retry_at IS NOT NULL`.execute(db);
  await sql`CREATE INDEX schedules_manual_idx ON schedules (manual_run_at) WHERE manual_run_at IS NOT NULL`.execute(
    db,
  );

  await db.schema
    .createTable('schedule_runs')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('schedule_id', 'uuid', (c) => c.notNull().references('schedules.id').onDelete('cascade'))
    .addColumn('scheduled_for', 'timestamptz', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().check(sql`attempt >= 1`))
    .addColumn('trigger', 'text', (c) =>
      c.notNull().defaultTo('schedule').check(sql`trigger IN ('schedule', 'manual', 'catch_up', 'misfire')`),
    )
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('fencing_token', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('running', 'succeeded', 'failed', 'timed_out', 'skipped')`),
    )
    .addColumn('error', 'text')
    .addColumn('result', 'jsonb')
    // Exactly one run row per occurrence attempt, enforced where every replica writes.
    .addUniqueConstraint('schedule_runs_occurrence_attempt_key', ['schedule_id', 'scheduled_for', 'attempt'])
    .execute();
  // scheduler.runs: newest first per schedule (keyset on id).
  await sql`CREATE INDEX schedule_runs_schedule_idx ON schedule_runs (schedule_id, id DESC)`.execute(db);
  // Orphan detection: running attempts whose owner's lease lapsed.
  await sql`CREATE INDEX schedule_runs_running_idx ON schedule_runs (schedule_id) WHERE status = 'running'`.execute(
    db,
  );

  await db.schema
    .createTable('scheduler_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    // NULL once released; the row stays so the fencing token keeps counting up.
    .addColumn('owner', 'text')
    .addColumn('fencing_token', 'bigint', (c) => c.notNull().defaultTo(1))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('scheduler_leases').execute();
  await db.schema.dropTable('schedule_runs').execute();
  await db.schema.dropTable('schedules').execute();
}
