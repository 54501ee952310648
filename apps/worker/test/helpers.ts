import type { Database } from '@atrium/db';
import { createBoss } from '@atrium/jobs';
import { type Generated, type Kysely, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { parseWorkerEnv, type WorkerEnv } from '../src/env.ts';

/** A worker configuration for in-process tests: ephemeral ops port, fast polls, quiet logs. */
export function testWorkerEnv(databaseUrl: string, overrides: Record<string, string> = {}): WorkerEnv {
  return parseWorkerEnv({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '6',
    LOG_LEVEL: 'silent',
    WORKER_OPS_PORT: '0',
    WORKER_POLL_SECONDS: '0.5',
    WORKER_CONCURRENCY: '5',
    WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
    RELAY_POLL_MS: '200',
    ...overrides,
  });
}

/** A started boss with no background duties, for tests that drive the relay or inspect queues. */
export async function startTestBoss(url: string): Promise<PgBoss> {
  const boss = createBoss({ connectionString: url, poolSize: 4, supervise: false, listen: false });
  await boss.start();
  return boss;
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 10_000, intervalMs = 20, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
