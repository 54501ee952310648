/**
 * The measurement behind log_events' layout (docs/logging.md): one heap table with a BRIN on `at`
 * (what the migration creates) against the same table partitioned by day, both with the same
 * indexes (org/time btree, GIN over the message's words).
 *
 *   pnpm bench log-layout                  (or node scripts/bench/log-layout.ts)
 *
 * For each layout, on a fresh database: ingest EVENTS events in batches of 1,000 (the ingest
 * statement's shape: INSERT … SELECT FROM unnest(arrays)) with times spread over the last 7 days,
 * then the newest-page query of one org (p50 of 200), then retention of the oldest day (batched
 * DELETE through the BRIN vs DROP of a partition).
 */
import { loadavg } from 'node:os';
import { type Kysely, sql } from 'kysely';
import { createDb } from '../../packages/db/src/index.ts';
import { type BenchMetric, type BenchResult, benchDatabase, percentile, round } from './lib.ts';

const EVENTS = Number(process.env.BENCH_LAYOUT_EVENTS ?? 300_000);
const BATCH = 1_000;
const DAY = 24 * 60 * 60 * 1000;

const COLUMNS = `
  id bigint GENERATED ALWAYS AS IDENTITY,
  org_id uuid, at timestamptz NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
  level smallint NOT NULL, source text NOT NULL, message text NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}'::jsonb, request_id text, api_key_id uuid,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, left(message, 4000))) STORED`;

async function createLayout(db: Kysely<unknown>, layout: 'brin' | 'partitioned', start: Date) {
  await sql`DROP TABLE IF EXISTS layout_events`.execute(db);
  if (layout === 'brin') {
    await sql.raw(`CREATE TABLE layout_events (${COLUMNS}, PRIMARY KEY (id))`).execute(db);
    await sql`CREATE INDEX ON layout_events USING brin (at) WITH (pages_per_range = 32)`.execute(db);
  } else {
    await sql
      .raw(`CREATE TABLE layout_events (${COLUMNS}, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`)
      .execute(db);
    for (let d = 0; d < 9; d += 1) {
      const from = new Date(start.getTime() + d * DAY).toISOString();
      const to = new Date(start.getTime() + (d + 1) * DAY).toISOString();
      await sql
        .raw(
          `CREATE TABLE layout_events_${d} PARTITION OF layout_events FOR VALUES FROM ('${from}') TO ('${to}')`,
        )
        .execute(db);
    }
  }
  await sql`CREATE INDEX ON layout_events (org_id, at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX ON layout_events USING gin (search)`.execute(db);
}

async function measure(db: Kysely<unknown>, layout: 'brin' | 'partitioned'): Promise<BenchMetric[]> {
  const now = Date.now();
  const start = new Date(Math.floor((now - 8 * DAY) / DAY) * DAY);
  await createLayout(db, layout, start);
  const orgs = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
  const started = performance.now();
  for (let b = 0; b < EVENTS / BATCH; b += 1) {
    const at: string[] = [];
    const message: string[] = [];
    const attributes: string[] = [];
    for (let i = 0; i < BATCH; i += 1) {
      // Events arrive roughly in time order, as logs do: each batch a slice of the 7 days.
      at.push(new Date(now - 7 * DAY + ((b * BATCH + i) / EVENTS) * 7 * DAY).toISOString());
      message.push(
        `request ${b} finished with status ${200 + (i % 5)} after ${i} ms on worker ${i % 7} #${b * BATCH + i}`,
      );
      attributes.push(JSON.stringify({ i, path: `/v1/items/${i}` }));
    }
    await sql`
      INSERT INTO layout_events (org_id, at, level, source, message, attributes)
      SELECT ${orgs[b % 2]}::uuid, t.at, 20, 'api', t.message, t.attributes
      FROM unnest(${at}::timestamptz[], ${message}::text[], ${attributes}::jsonb[]) AS t(at, message, attributes)`.execute(
      db,
    );
  }
  const rate = EVENTS / ((performance.now() - started) / 1000);
  await sql`VACUUM ANALYZE layout_events`.execute(db);
  const times: number[] = [];
  for (let i = 0; i < 200; i += 1) {
    const t0 = performance.now();
    await sql`SELECT id, at, message FROM layout_events WHERE org_id = ${orgs[i % 2]}::uuid
      ORDER BY at DESC, id DESC LIMIT 51`.execute(db);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const cutoff = new Date(start.getTime() + 2 * DAY);
  const purgeStarted = performance.now();
  if (layout === 'brin') {
    for (;;) {
      const result = await sql`DELETE FROM layout_events WHERE id IN (
        SELECT id FROM layout_events WHERE at < ${cutoff.toISOString()}::timestamptz LIMIT 5000)`.execute(db);
      if (Number(result.numAffectedRows ?? 0n) === 0) break;
    }
  } else {
    await sql`DROP TABLE layout_events_0`.execute(db);
    await sql`DROP TABLE layout_events_1`.execute(db);
  }
  const purgeMs = performance.now() - purgeStarted;
  const size = await sql<{ bytes: string }>`SELECT sum(pg_total_relation_size(c.oid))::text AS bytes
    FROM pg_class c WHERE c.relname LIKE 'layout_events%' AND c.relkind IN ('r', 'p')`.execute(db);
  await sql`DROP TABLE layout_events`.execute(db);
  return [
    { what: `${layout}: ingest, batches of ${BATCH}`, value: Math.round(rate), unit: 'events/s' },
    {
      what: `${layout}: newest page of an org, p50 / p95`,
      value: round(percentile(times, 50)),
      unit: `ms / ${round(percentile(times, 95))} ms`,
    },
    { what: `${layout}: retention of the oldest day(s)`, value: Math.round(purgeMs), unit: 'ms' },
    {
      what: `${layout}: size after retention`,
      value: round(Number(size.rows[0]?.bytes ?? 0) / 2 ** 20, 1),
      unit: 'MiB',
    },
  ];
}

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase();
  const handle = createDb({ connectionString: database.url, poolSize: 1 });
  const db = handle.db as unknown as Kysely<unknown>;
  try {
    const loadBefore = loadavg()[0] ?? 0;
    const metrics = [...(await measure(db, 'brin')), ...(await measure(db, 'partitioned'))];
    metrics.push({
      what: 'machine load (1-min average, before → after)',
      value: round(loadavg()[0] ?? 0, 1),
      unit: `(before ${round(loadBefore, 1)})`,
    });
    return { name: 'log-layout', metrics };
  } finally {
    await handle.destroy();
    await database.close();
  }
}

if (import.meta.main) {
  const result = await run();
  for (const metric of result.metrics) console.log(metric.what, metric.value, metric.unit);
  process.exit(0);
}
