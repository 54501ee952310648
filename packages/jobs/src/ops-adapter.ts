import type { Database } from '@atrium/db';
import {
  JOB_STATES,
  type JobListQuery,
  type JobState,
  type JobStateCounts,
  type OpsQueuePort,
  type StoredJob,
} from '@atrium/domain/ops/port';
import type { Kysely, Transaction } from 'kysely';
import type { Db, PgBoss } from 'pg-boss';
import { DEFAULT_BOSS_SCHEMA } from './boss.ts';
import { kyselyJobsDb } from './kysely-db.ts';

/**
 * The pg-boss side of the Ops console, the adapter of the domain's `OpsQueuePort`
 * (packages/domain/src/ops/port.ts): queue statistics, job lists and search read straight from
 * pg-boss's job table (one indexed `name = …` scan per queue; pg-boss's cached queue counts have no
 * per-state split for finished jobs and no per-org split), and the actions — retry, cancel, delete,
 * redrive — through pg-boss's own commands, run on the caller's Kysely transaction so each commits
 * with its audit entry or not at all.
 *
 * Org attribution: a job belongs to the org named by its payload's top-level `orgId` (every outbox
 * envelope carries one; a queue of other jobs must put it there to be seen by that org's admins).
 */

/** Dead letters moved per pg-boss `redrive` call; a redrive-all loops until the queue is drained. */
const REDRIVE_BATCH = 1_000;

interface JobRow {
  id: string;
  name: string;
  state: JobState;
  org_id: string | null;
  data: unknown;
  output: unknown;
  retry_count: number;
  retry_limit: number;
  priority: number;
  singleton_key: string | null;
  created_on: Date;
  created_on_key: string;
  start_after: Date;
  started_on: Date | null;
  completed_on: Date | null;
  keep_until: Date;
  dead_letter: string | null;
  source_name: string | null;
  source_id: string | null;
  source_created_on: Date | null;
  source_retry_count: number | null;
  source_output: unknown;
  source_root_id: string | null;
}

export function createPgBossOpsQueues(options: {
  /** A started boss; no workers needed. */
  boss: PgBoss;
  schema?: string;
}): OpsQueuePort {
  const { boss } = options;
  const schema = options.schema ?? DEFAULT_BOSS_SCHEMA;
  if (!/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new Error(`invalid pg-boss schema name "${schema}"`);
  const job = `${schema}.job`;
  const dbOf = (trx?: Transaction<Database> | Kysely<Database>): Db =>
    trx ? kyselyJobsDb(trx) : boss.getDb();

  const columns = `
    id, name, state::text AS state, data->>'orgId' AS org_id, data, output, retry_count, retry_limit,
    priority, singleton_key, created_on, created_on::text AS created_on_key, start_after, started_on,
    completed_on, keep_until, dead_letter, source_name, source_id, source_created_on, source_retry_count,
    source_output, source_root_id`;

  async function list(query: JobListQuery, trx?: Transaction<Database>): Promise<StoredJob[]> {
    if (query.selectors.length === 0) return [];
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    const selectors = query.selectors.map((selector) =>
      selector.states && selector.states.length > 0
        ? `(name = ${param(selector.queue)} AND state = ANY(${param(selector.states)}::${schema}.job_state[]))`
        : `name = ${param(selector.queue)}`,
    );
    const where = [`(${selectors.join(' OR ')})`];
    if (query.orgId) where.push(`data->>'orgId' = ${param(query.orgId)}`);
    if (query.ids) where.push(`id = ANY(${param([...query.ids])}::uuid[])`);
    if (query.createdBefore) where.push(`created_on < ${param(query.createdBefore)}::timestamptz`);
    const search = query.search;
    if (search?.kind === 'id') {
      const id = param(search.id);
      where.push(`(id = ${id}::uuid OR source_id = ${id}::uuid OR source_root_id = ${id}::uuid)`);
    } else if (search?.kind === 'data') {
      where.push(`data @> ${param(JSON.stringify(search.data))}::jsonb`);
    } else if (search?.kind === 'text') {
      where.push(`data::text ILIKE ${param(`%${escapeLike(search.text)}%`)}`);
    }
    const descending = query.order === 'newest';
    if (query.after) {
      where.push(
        `(created_on, id) ${descending ? '<' : '>'} (${param(query.after.createdOn)}::timestamptz, ${param(query.after.id)}::uuid)`,
      );
    }
    const direction = descending ? 'DESC' : 'ASC';
    const text = `
      SELECT ${columns}
      FROM ${job}
      WHERE ${where.join(' AND ')}
      ORDER BY created_on ${direction}, id ${direction}
      LIMIT ${param(query.limit)}`;
    const { rows } = await dbOf(trx).executeSql(text, values);
    return (rows as JobRow[]).map(toStoredJob);
  }

  return {
    async stats(query) {
      if (query.queues.length === 0) return [];
      const { rows } = await boss.getDb().executeSql(
        `
        SELECT name AS queue,
               ${query.byOrg ? `data->>'orgId'` : 'NULL::text'} AS org_id,
               ${JOB_STATES.map((state) => `count(*) FILTER (WHERE state = '${state}')::int AS "${state}"`).join(',\n               ')},
               count(*) FILTER (WHERE state = 'completed' AND completed_on >= $2
                                  AND ($3::timestamptz IS NULL OR completed_on < $3))::int AS completed_window,
               count(*) FILTER (WHERE state = 'failed' AND completed_on >= $2
                                  AND ($3::timestamptz IS NULL OR completed_on < $3))::int AS failed_window,
               min(GREATEST(created_on, start_after))
                 FILTER (WHERE state IN ('created', 'retry') AND start_after <= now()) AS oldest_waiting
        FROM ${job}
        WHERE name = ANY($1::text[]) AND ($4::text IS NULL OR data->>'orgId' = $4)
        GROUP BY 1, 2`,
        [[...query.queues], query.since, query.until ?? null, query.orgId ?? null],
      );
      return (rows as Array<Record<string, unknown>>).map((row) => ({
        queue: row.queue as string,
        orgId: (row.org_id as string | null) ?? null,
        counts: Object.fromEntries(
          JOB_STATES.map((state) => [state, Number(row[state] ?? 0)]),
        ) as JobStateCounts,
        completed: Number(row.completed_window ?? 0),
        failed: Number(row.failed_window ?? 0),
        oldestWaitingSince: (row.oldest_waiting as Date | null) ?? null,
      }));
    },

    list,

    async get(queue, id, trx) {
      const { rows } = await dbOf(trx).executeSql(
        `SELECT ${columns} FROM ${job} WHERE name = $1 AND id = $2::uuid`,
        [queue, id],
      );
      const row = (rows as JobRow[])[0];
      return row ? toStoredJob(row) : null;
    },

    async retry(trx, queue, id) {
      return affected(await boss.retry(queue, id, { db: dbOf(trx) }));
    },

    async cancel(trx, queue, id) {
      return affected(await boss.cancel(queue, id, { db: dbOf(trx) }));
    },

    async delete(trx, queue, id) {
      return affected(await boss.deleteJob(queue, id, { db: dbOf(trx) }));
    },

    async deleteMany(trx, queue, ids) {
      if (ids.length === 0) return 0;
      return affectedCount(await boss.deleteJob(queue, [...ids], { db: dbOf(trx) }));
    },

    async runNow(trx, queue, id) {
      // pg-boss has no command for this: its workers fetch jobs whose start_after has passed, so
      // moving start_after to now() is all "run now" means. Only a job still delayed is touched.
      const { rows } = await dbOf(trx).executeSql(
        `UPDATE ${job} SET start_after = now()
         WHERE name = $1 AND id = $2::uuid AND state IN ('created', 'retry') AND start_after > now()
         RETURNING id`,
        [queue, id],
      );
      return rows.length > 0;
    },

    async redrive(trx, command) {
      const db = dbOf(trx);
      const filter = {
        ...(command.ids ? { ids: [...command.ids] } : {}),
        ...(command.orgId ? { data: { orgId: command.orgId } } : {}),
        // Only what is there now: dead letters arriving while this runs wait for the next redrive.
        createdBefore: new Date(),
      };
      let moved = 0;
      for (;;) {
        const batch = await boss.redrive(command.deadLetterQueue, { ...filter, limit: REDRIVE_BATCH, db });
        moved += batch;
        if (batch < REDRIVE_BATCH) return moved;
      }
    },
  };
}

/** pg-boss answers its commands with `{ affected }` (the typings leave it open). */
function affectedCount(response: object): number {
  const count = Number((response as { affected?: unknown }).affected ?? 0);
  return Number.isFinite(count) ? count : 0;
}

function affected(response: object): boolean {
  return affectedCount(response) > 0;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toStoredJob(row: JobRow): StoredJob {
  return {
    id: row.id,
    queue: row.name,
    state: row.state,
    orgId: row.org_id,
    data: row.data,
    output: row.output,
    retryCount: row.retry_count,
    retryLimit: row.retry_limit,
    priority: row.priority,
    singletonKey: row.singleton_key,
    createdOn: row.created_on,
    startAfter: row.start_after,
    startedOn: row.started_on,
    completedOn: row.completed_on,
    keepUntil: row.keep_until,
    deadLetter: row.dead_letter,
    source:
      row.source_name || row.source_id
        ? {
            queue: row.source_name,
            id: row.source_id,
            createdOn: row.source_created_on,
            retryCount: row.source_retry_count,
            output: row.source_output,
          }
        : null,
    rootId: row.source_root_id,
    cursor: { createdOn: row.created_on_key, id: row.id },
  };
}
