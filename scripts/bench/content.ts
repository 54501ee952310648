/**
 * Content and discovery (SPEC §13):
 *   - cached `content.get` throughput against a bare tRPC procedure answering a constant
 *     (`system.info` as an anonymous caller sees it in production), same API process, same client,
 *     same run (ratio ≥ 0.7);
 *   - cached `content.get` p99 at 50 concurrent requests (< 15 ms);
 *   - indexing lag p99 at 200 content writes/s: commit of a publish → its search document written by
 *     the worker's `search.index` job (< 1 s).
 * The API runs as its own process (`node src/main.ts`, production) with a Redis of its own; the
 * worker runs in this process with the application's catalogue, its `search.index` handler wrapped
 * only to note when each job finished. `discovery.search` over 100k contents is `pnpm bench search`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createDb, type Database } from '@atrium/db';
import { queueCatalogue } from '@atrium/domain';
import { ContentPublished } from '@atrium/domain/content/events';
import { writeContentEvent } from '@atrium/domain/content/store';
import { freePort, startRedisServer } from '@atrium/local-engines';
import { type QueueHandlers, queueHandlers, startWorker } from '@atrium/worker';
import { parseWorkerEnv } from '@atrium/worker/env';
import type { Kysely } from 'kysely';
import { type BenchResult, benchDatabase, percentile, round } from './lib.ts';

const root = resolve(import.meta.dirname, '../..');
const CONCURRENCY = 50;
const DURATION_MS = Number(process.env.BENCH_CONTENT_DURATION_MS ?? 5_000);
const WRITES_PER_SECOND = 200;
const WRITE_SECONDS = Number(process.env.BENCH_CONTENT_WRITE_SECONDS ?? 5);

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase({ withQueues: true });
  const redis = await startRedisServer();
  if (!redis) throw new Error('the content benchmark needs redis-server on PATH');
  const handle = createDb({ connectionString: database.url, poolSize: 8 });
  let api: ChildProcess | null = null;
  try {
    const { orgId, slug, contentIds, authorId } = await seed(handle.db);
    const port = await freePort();
    api = spawn(process.execPath, ['src/main.ts'], {
      cwd: resolve(root, 'apps/api'),
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        LOG_LEVEL: 'warn',
        API_PORT: String(port),
        JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0000',
        NOTIFICATIONS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    await waitUp(`${base}/health/live`);
    const constantUrl = `${base}/trpc/system.info`;
    const contentUrl = (id: string) =>
      `${base}/trpc/content.get?input=${encodeURIComponent(JSON.stringify({ json: { id, orgSlug: slug } }))}`;
    // Warm-up: the lazy routers loaded, every content in the cache, connections open.
    for (const id of contentIds) await expectOk(contentUrl(id));
    await load(() => constantUrl, 1_000);
    await load((i) => contentUrl(contentIds[i % contentIds.length] as string), 1_000);

    const constant = await load(() => constantUrl, DURATION_MS);
    const cached = await load((i) => contentUrl(contentIds[i % contentIds.length] as string), DURATION_MS);
    const ratio = cached.throughput / constant.throughput;
    const p99 = percentile(cached.latencies, 99);

    const lag = await indexingLag(database.url, handle.db, orgId, authorId);
    const lagP50 = percentile(lag, 50);
    const lagP99 = percentile(lag, 99);
    return {
      name: 'content',
      metrics: [
        {
          what: `bare procedure (system.info), ${CONCURRENCY} concurrent`,
          value: round(constant.throughput, 0),
          unit: 'req/s',
        },
        {
          what: `cached content.get, ${CONCURRENCY} concurrent`,
          value: round(cached.throughput, 0),
          unit: 'req/s',
        },
        {
          what: 'cached content.get / bare procedure',
          value: round(ratio, 2),
          unit: '×',
          target: '≥ 0.7',
          pass: ratio >= 0.7,
        },
        {
          what: `cached content.get p99 at ${CONCURRENCY} concurrent`,
          value: round(p99, 1),
          unit: 'ms',
          target: '< 15 ms',
          pass: p99 < 15,
        },
        {
          what: `index lag p50 at ${WRITES_PER_SECOND} writes/s (${lag.length} publishes)`,
          value: round(lagP50, 1),
          unit: 'ms',
        },
        {
          what: `index lag p99 at ${WRITES_PER_SECOND} writes/s`,
          value: round(lagP99, 1),
          unit: 'ms',
          target: '< 1000 ms',
          pass: lagP99 < 1_000,
        },
      ],
    };
  } finally {
    if (api && api.exitCode === null) {
      await new Promise((r) => {
        api?.once('exit', r);
        api?.kill('SIGTERM');
      });
    }
    await handle.destroy();
    await redis.stop();
    await database.close();
  }
}

/** An org with an author and 200 published contents with media (what the cache serves). */
async function seed(db: Kysely<Database>) {
  const slug = `bench-${Date.now().toString(36)}`;
  const org = await db
    .insertInto('orgs')
    .values({ slug, name: 'Bench' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const author = await db
    .insertInto('users')
    .values({ org_id: org.id, email: `${slug}@bench.example`, name: 'Bench Author', password_hash: 'x' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const contentIds: string[] = [];
  for (let i = 0; i < 200; i += 1) {
    const row = await db
      .insertInto('contents')
      .values({
        org_id: org.id,
        author_id: author.id,
        title: `Benchmark piece ${i}`,
        description: 'A piece the benchmark reads again and again.',
        language: 'en',
        status: 'published',
        publication_date: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('content_media')
      .values({
        content_id: row.id,
        org_id: org.id,
        media_type: 'video',
        source: 'external',
        provider: 'youtube',
        external_url: `https://www.youtube.com/watch?v=bench${String(i).padStart(6, '0')}`,
      })
      .execute();
    contentIds.push(row.id);
  }
  return { orgId: org.id, slug, contentIds, authorId: author.id };
}

/** `CONCURRENCY` loops calling `url(i)` back to back for `durationMs`; throughput and latencies (ms). */
async function load(url: (i: number) => string, durationMs: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + durationMs;
  let counter = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const i = counter++;
        const t0 = performance.now();
        const response = await fetch(url(i));
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`HTTP ${response.status} from ${url(i)}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { throughput: latencies.length / seconds, latencies };
}

/**
 * 200 writes/s for WRITE_SECONDS: each a new published content (row, media, ContentPublished in one
 * transaction) → relay → `search.index` → PostgreSQL search adapter. Lag = commit → the handler's end.
 */
async function indexingLag(url: string, db: Kysely<Database>, orgId: string, authorId: string) {
  const committedAt = new Map<string, number>();
  const lags: number[] = [];
  const indexed = queueHandlers['search.index'];
  const handlers = {
    ...queueHandlers,
    'search.index': async (event, context) => {
      const result = await indexed(event, context);
      const at = committedAt.get(event.payload.contentId);
      if (at !== undefined && result === 'upserted') lags.push(performance.now() - at);
      return result;
    },
  } as QueueHandlers<typeof queueCatalogue>;
  const worker = await startWorker(
    parseWorkerEnv({
      NODE_ENV: 'test',
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: '10',
      LOG_LEVEL: 'warn',
      WORKER_OPS_PORT: '0',
      WORKER_CONCURRENCY: '20',
      RELAY_POLL_MS: '200',
    }),
    { queues: { catalogue: queueCatalogue, handlers } },
  );
  try {
    const total = WRITES_PER_SECOND * WRITE_SECONDS;
    const interval = 1000 / WRITES_PER_SECOND;
    const start = performance.now();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      writes.push(publishOne(db, orgId, authorId, i, committedAt));
    }
    await Promise.all(writes);
    const deadline = Date.now() + 30_000;
    while (lags.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (lags.length < total)
      throw new Error(`only ${lags.length} of ${total} publishes were indexed in time`);
  } finally {
    await worker.stop();
  }
  return lags.sort((a, b) => a - b);
}

async function publishOne(
  db: Kysely<Database>,
  orgId: string,
  authorId: string,
  i: number,
  committedAt: Map<string, number>,
): Promise<void> {
  const id = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('contents')
      .values({
        org_id: orgId,
        author_id: authorId,
        title: `Indexed piece ${i}`,
        description: 'Written by the indexing lag benchmark.',
        language: 'en',
        status: 'published',
        publication_date: new Date(),
      })
      .returning(['id', 'version'])
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('content_media')
      .values({
        content_id: row.id,
        org_id: orgId,
        media_type: 'audio',
        source: 'external',
        provider: 'soundcloud',
        external_url: `https://soundcloud.com/bench/lag-${i}`,
      })
      .execute();
    await writeContentEvent(trx, orgId, ContentPublished, row.id, row.version);
    return row.id;
  });
  committedAt.set(id, performance.now());
}

async function expectOk(url: string): Promise<void> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}: ${await response.text()}`);
}

async function waitUp(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}
