import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// The Ops console's view of the running processes (SPEC §8 "Processes", docs/ops.md): every worker
// and scheduler process inserts one row when it starts (a fresh id per start) and moves
// `last_beat_at` forward every `beat_seconds`. A process whose beat is more than a few beats old is
// missing; a clean stop sets `stopped_at`. Nothing to configure: the console reads this table, so any
// number of replicas on any number of hosts show up by themselves. Rows of processes gone for a day
// are pruned by the beating processes.
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
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ops_processes').execute();
}
