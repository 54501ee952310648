import type { Database } from '@atrium/db';
import { createBoss } from '@atrium/jobs';
import { type Kysely, sql } from 'kysely';
import type { PgBoss, SendOptions } from 'pg-boss';

/** A started pg-boss with no background duties (no supervisor, no LISTEN), for tests that send or inspect jobs. */
export async function startTestBoss(url: string): Promise<PgBoss> {
  const boss = createBoss({ connectionString: url, poolSize: 4, supervise: false, listen: false });
  await boss.start();
  return boss;
}

/**
 * A job of `queue`, waiting (`created`) — or, with `failWith`, taken by a worker and failed for good
 * with that message (no retries), which also copies it into the queue's dead-letter queue. Note that
 * taking it hands out the queue's other waiting jobs too (they become `active`), as a worker would.
 */
export async function createTestJob(
  boss: PgBoss,
  queue: string,
  data: object,
  options: SendOptions & { failWith?: string } = {},
): Promise<string> {
  const { failWith, ...send } = options;
  const id = await boss.send(queue, data, failWith === undefined ? send : { ...send, retryLimit: 0 });
  if (!id) throw new Error(`pg-boss did not create a job in ${queue}`);
  if (failWith === undefined) return id;
  const fetched = await boss.fetch(queue, { batchSize: 10 });
  if (!fetched.some((job) => job.id === id)) throw new Error(`pg-boss did not hand out job ${id}`);
  await boss.fail(queue, id, { name: 'Error', message: failWith });
  return id;
}

export interface JobRow {
  id: string;
  name: string;
  state: string;
  retry_count: number;
  singleton_key: string | null;
  created_on: Date;
  start_after: Date;
  data: { eventId?: string; seq?: string; aggregateId?: string; orgId?: string } & Record<string, unknown>;
  source_id: string | null;
  source_retry_count: number | null;
}

/** pg-boss jobs of some queues, oldest first, straight from its table (what a worker would see). */
export async function jobsOf(db: Kysely<Database>, ...queues: string[]): Promise<JobRow[]> {
  const { rows } = await sql<JobRow>`
    SELECT id, name, state::text AS state, retry_count, singleton_key, created_on, start_after, data,
           source_id, source_retry_count
    FROM pgboss.job WHERE name = ANY(${queues}::text[])
    ORDER BY created_on, id
  `.execute(db);
  return rows;
}
