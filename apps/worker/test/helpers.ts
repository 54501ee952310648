import type { Database } from '@atrium/db';
import { createBoss } from '@atrium/jobs';
import { type Generated, type Kysely, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';

/** A started boss with no background duties, for tests that drive the relay or inspect queues. */
export async function startTestBoss(url: string): Promise<PgBoss> {
  const boss = createBoss({ connectionString: url, poolSize: 4, supervise: false, listen: false });
  await boss.start();
  return boss;
}

export interface JobRow {
  id: string;
  name: string;
  state: string;
  retry_count: number;
  singleton_key: string | null;
  created_on: Date;
  start_after: Date;
  data: { eventId?: string; seq?: string; aggregateId?: string } & Record<string, unknown>;
  source_id: string | null;
  source_retry_count: number | null;
}

/** pg-boss jobs of some queues, straight from its table (what a worker would see). */
export async function jobsOf(db: Kysely<Database>, ...queues: string[]): Promise<JobRow[]> {
  const { rows } = await sql<JobRow>`
    SELECT id, name, state::text AS state, retry_count, singleton_key, created_on, start_after, data,
           source_id, source_retry_count
    FROM pgboss.job WHERE name = ANY(${queues}::text[])
    ORDER BY created_on, id
  `.execute(db);
  return rows;
}

/** A table test handlers write their effects to, so a test can count them. */
export async function createEffectsTable(db: Kysely<Database>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS effects (
      id bigserial PRIMARY KEY,
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      note text NOT NULL DEFAULT ''
    )
  `.execute(db);
}

export type EffectsTable = {
  effects: { id: Generated<string>; consumer: string; event_id: string; note: Generated<string> };
};

export async function effectsOf(db: Kysely<Database>, eventId: string) {
  return db
    .withTables<EffectsTable>()
    .selectFrom('effects')
    .select(['id', 'consumer', 'note'])
    .where('event_id', '=', eventId)
    .orderBy('id')
    .execute();
}
