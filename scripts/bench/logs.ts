/**
 * Log ingest and query (SPEC §7, §13; docs/logging.md): `logs.ingestBulk` throughput with rule
 * evaluation on (target ≥ 20,000 events/s on 2 cores) and `logs.query` p95 over 1,000,000 stored
 * events (target < 100 ms).
 *
 *   pnpm bench logs                        (or node scripts/bench/logs.ts)
 *
 * On a fresh database (BENCH_DATABASE_URL's server, else an embedded PostgreSQL started here), with
 * the real API listening on loopback (no Redis: in-process rate limits):
 * 1. an org with five alert rules (one of them matching ~2 % of the events, so counters and one
 *    incident are written) and the built-in ones; an API key with `logs.ingest` and `logs.read`;
 * 2. ingest: batches of 1,000 realistic events (level mix, ten sources, attributes with a secret to
 *    redact, message text from a vocabulary) POSTed to `logs.ingestBulk` over HTTP by two concurrent
 *    clients, INGEST_EVENTS in all → events/s, and the p50 / p95 of one call;
 * 3. fill: the org's table brought to 1,000,000 events with one INSERT … SELECT (same shape, times
 *    over 7 days), plus 100,000 in another org, then VACUUM ANALYZE;
 * 4. query: a mix of the Logs page's queries over HTTP with the key (newest page, level, source,
 *    one and two words, words + level, last hour, a second page), QUERIES in all, one after another →
 *    p50 / p95 / p99 of the mix (judged) and per kind, with the machine's load average.
 */
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { parseApiEnv } from '../../apps/api/src/env.ts';
import { startApi } from '../../apps/api/src/server.ts';
import { createDb } from '../../packages/db/src/index.ts';
import {
  type BenchMetric,
  type BenchResult,
  benchDatabase,
  machineDescription,
  percentile,
  round,
} from './lib.ts';

const INGEST_TARGET = 20_000;
const QUERY_TARGET_P95_MS = 100;
const BATCH = 1_000;
const INGEST_EVENTS = Number(process.env.BENCH_LOG_EVENTS ?? 60_000);
const CLIENTS = 2;
const STORED = 1_000_000;
const QUERIES = 600;

const WORDS = (
  'request response timeout connection refused retry upstream cache miss hit user order payment ' +
  'invoice checkout cart session login logout token refresh database query slow index lock ' +
  'deadlock commit rollback queue job worker started finished failed succeeded scheduled email ' +
  'sent bounced delivered webhook received signature invalid rate limited throttled disk memory ' +
  'cpu latency spike healthy degraded recovered backup restore upload download image video thumbnail'
).split(' ');
const SOURCES = [
  'api',
  'api.orders',
  'api.payments',
  'worker',
  'worker.email',
  'web',
  'billing',
  'billing.invoices',
  'search',
  'storage',
];
const LEVELS = ['debug', 'info', 'info', 'info', 'info', 'warn', 'warn', 'error', 'error', 'fatal'];

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function eventGenerator(seed: number) {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return (i: number) => {
    const words = Array.from({ length: 6 + Math.floor(random() * 10) }, () => pick(WORDS));
    return {
      level: pick(LEVELS),
      source: pick(SOURCES),
      message: `${words.join(' ')} #${i}`,
      attributes: {
        requestId: `r-${i}`,
        durationMs: Math.floor(random() * 2000),
        user: { id: `u-${Math.floor(random() * 5000)}`, password: 'never-stored' },
        path: `/v1/${pick(WORDS)}/${Math.floor(random() * 1000)}`,
      },
    };
  };
}

async function call(url: string, key: string, path: string, input: unknown, type: 'query' | 'mutation') {
  const encoded = JSON.stringify({ json: input });
  const response =
    type === 'query'
      ? await fetch(`${url}/trpc/${path}?input=${encodeURIComponent(encoded)}`, {
          headers: { authorization: `Bearer ${key}` },
        })
      : await fetch(`${url}/trpc/${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: encoded,
        });
  const body = (await response.json()) as { result?: { data: { json: unknown } } };
  if (!response.ok || !body.result)
    throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.result.data.json;
}

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase();
  const handle = createDb({ connectionString: database.url, poolSize: 2 });
  const db = handle.db;
  const api = await startApi(
    parseApiEnv({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      API_PORT: '0',
      DATABASE_POOL_SIZE: '6',
      LOGS_INGEST_CALLS_PER_MINUTE: '1000000',
      HEAVY_CALLS_PER_CALLER: '8',
    }),
  );
  try {
    const loadBefore = loadavg()[0] ?? 0;
    const [org, other] = await db
      .insertInto('orgs')
      .values([
        { slug: 'bench-logs', name: 'Bench logs' },
        { slug: 'bench-other', name: 'Bench other' },
      ])
      .returning('id')
      .execute();
    if (!org || !other) throw new Error('no orgs');
    const { createApiKey } = await import('../../packages/domain/src/logging/api-keys.ts');
    const { createAlertRule } = await import('../../packages/domain/src/logging/rules.ts');
    const actor = {
      userId: '00000000-0000-4000-8000-00000000be01',
      orgId: org.id,
      roles: ['admin'],
      permissions: new Set<never>(),
      platformRole: null,
      permissionVersion: 1,
    };
    const { key } = await createApiKey({ db }, actor, {
      name: 'bench',
      scopes: ['logs.ingest', 'logs.read'],
    });
    const rules = [
      {
        name: 'timeouts',
        minLevel: 'error',
        containsText: 'timeout connection',
        source: null,
        thresholdCount: 10,
      },
      {
        name: 'payments',
        minLevel: 'fatal',
        containsText: null,
        source: 'api.payments',
        thresholdCount: 1_000_000,
      },
      {
        name: 'deadlocks',
        minLevel: 'warn',
        containsText: 'deadlock rollback',
        source: 'worker',
        thresholdCount: 50,
      },
      { name: 'any fatal', minLevel: 'fatal', containsText: null, source: null, thresholdCount: 1_000_000 },
      { name: 'billing', minLevel: 'error', containsText: 'invoice', source: 'billing', thresholdCount: 100 },
    ] as const;
    for (const rule of rules) {
      await createAlertRule({ db }, actor, { ...rule, windowSeconds: 300 });
    }

    // ---- ingest ------------------------------------------------------------------------------
    const next = eventGenerator(7);
    const batches = Math.ceil(INGEST_EVENTS / BATCH);
    const bodies = Array.from({ length: batches }, (_, b) =>
      Array.from({ length: BATCH }, (_, i) => next(b * BATCH + i)),
    );
    // Warm-up: one batch (JIT, the lazy router, the prepared paths).
    await call(api.url, key, 'logs.ingestBulk', { events: bodies[0] }, 'mutation');
    const callTimes: number[] = [];
    let cursor = 1;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (cursor < batches) {
          const events = bodies[cursor++];
          const t0 = performance.now();
          const result = (await call(api.url, key, 'logs.ingestBulk', { events }, 'mutation')) as {
            accepted: number;
          };
          callTimes.push(performance.now() - t0);
          if (result.accepted !== BATCH) throw new Error(`accepted ${result.accepted}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const ingested = (batches - 1) * BATCH;
    const rate = ingested / seconds;
    callTimes.sort((a, b) => a - b);
    // The same through the use case in this process (no HTTP, JSON or tRPC): where the time goes.
    const { ingestLogEvents } = await import('../../packages/domain/src/logging/ingest.ts');
    const direct = Array.from({ length: batches }, (_, b) =>
      Array.from({ length: BATCH }, (_, i) => next(INGEST_EVENTS + b * BATCH + i)),
    );
    let directCursor = 0;
    const directStarted = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (directCursor < batches) {
          const events = direct[directCursor++] as unknown[];
          await ingestLogEvents({ db: api.services.db }, { orgId: org.id }, events);
        }
      }),
    );
    const directRate = (batches * BATCH) / ((performance.now() - directStarted) / 1000);
    const incidents = await db.selectFrom('incidents').select(['rule_name', 'event_count']).execute();
    const redacted = await db
      .selectFrom('log_events')
      .select('id')
      .where(sql<boolean>`attributes #>> '{user,password}' <> '[REDACTED]'`)
      .limit(1)
      .execute();
    if (redacted.length > 0) throw new Error('a password reached storage');

    // ---- fill to 1,000,000 -------------------------------------------------------------------
    const fillStarted = performance.now();
    const words = sql.raw(`ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}]`);
    const sources = sql.raw(`ARRAY[${SOURCES.map((s) => `'${s}'`).join(',')}]`);
    const fill = async (orgId: string, count: number) => {
      for (let done = 0; done < count; done += 100_000) {
        const n = Math.min(100_000, count - done);
        await sql`
          INSERT INTO log_events (org_id, at, level, source, message, attributes)
          SELECT ${orgId}::uuid,
                 now() - (random() * interval '7 days'),
                 (ARRAY[10,20,20,20,20,30,30,40,40,50])[1 + floor(random() * 10)::int],
                 (${sources})[1 + floor(random() * ${SOURCES.length})::int],
                 (SELECT string_agg((${words})[1 + floor(random() * ${WORDS.length})::int], ' ')
                    FROM generate_series(1, 6 + (g % 10))) || ' #' || g,
                 jsonb_build_object('requestId', 'r-' || g, 'durationMs', floor(random() * 2000))
          FROM generate_series(1, ${n}) AS g`.execute(db);
      }
    };
    const { count: already } = await db
      .selectFrom('log_events')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('org_id', '=', org.id)
      .executeTakeFirstOrThrow();
    await fill(org.id, STORED - Number(already));
    await fill(other.id, 100_000);
    await sql`VACUUM ANALYZE log_events`.execute(db);
    const fillSeconds = (performance.now() - fillStarted) / 1000;

    // ---- query mix ---------------------------------------------------------------------------
    const random = prng(11);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const hour = 60 * 60 * 1000;
    const kinds: Array<{ kind: string; input: () => Record<string, unknown> }> = [
      { kind: 'newest page', input: () => ({}) },
      { kind: 'level ≥ error', input: () => ({ level: 'error' }) },
      { kind: 'source (and below)', input: () => ({ source: pick(['api', 'worker', 'billing', 'search']) }) },
      { kind: 'one word', input: () => ({ q: pick(WORDS) }) },
      { kind: 'two words', input: () => ({ q: `${pick(WORDS)} ${pick(WORDS)}` }) },
      // A rare term: the event number each message ends with (one event in the org has it).
      { kind: 'rare word (one event)', input: () => ({ q: String(Math.floor(random() * 99_000) + 1) }) },
      { kind: 'word + level ≥ error', input: () => ({ q: pick(WORDS), level: 'error' }) },
      { kind: 'last hour', input: () => ({ from: new Date(Date.now() - hour) }) },
      {
        kind: 'word + source + last day',
        input: () => ({ q: pick(WORDS), source: pick(SOURCES), from: new Date(Date.now() - 24 * hour) }),
      },
    ];
    for (const kind of kinds) await call(api.url, key, 'logs.query', kind.input(), 'query');
    const all: number[] = [];
    const perKind = new Map<string, number[]>();
    for (let i = 0; i < QUERIES; i += 1) {
      const kind = kinds[i % kinds.length] as (typeof kinds)[number];
      const input = kind.input();
      const t0 = performance.now();
      const page = (await call(api.url, key, 'logs.query', input, 'query')) as { nextCursor: string | null };
      let elapsed = performance.now() - t0;
      if (i % 10 === 0 && page.nextCursor) {
        const t1 = performance.now();
        await call(api.url, key, 'logs.query', { ...input, cursor: page.nextCursor }, 'query');
        elapsed = performance.now() - t1;
      }
      all.push(elapsed);
      const list = perKind.get(kind.kind) ?? [];
      list.push(elapsed);
      perKind.set(kind.kind, list);
    }
    all.sort((a, b) => a - b);
    const p95 = percentile(all, 95);

    const metrics: BenchMetric[] = [
      { what: 'machine', value: 0, unit: machineDescription() },
      {
        what: 'machine load (1-min average, before → after)',
        value: round(loadavg()[0] ?? 0, 1),
        unit: `(before ${round(loadBefore, 1)})`,
      },
      {
        what: `logs.ingestBulk over HTTP, ${CLIENTS} clients × ${BATCH}, rules on`,
        value: Math.round(rate),
        unit: 'events/s',
        target: `≥ ${INGEST_TARGET.toLocaleString('en')}`,
        pass: rate >= INGEST_TARGET,
      },
      {
        what: '  the same use case in-process (no HTTP), rules on',
        value: Math.round(directRate),
        unit: 'events/s',
      },
      {
        what: `  one call of ${BATCH}: p50 / p95`,
        value: round(percentile(callTimes, 50)),
        unit: `ms / ${round(percentile(callTimes, 95))} ms`,
      },
      {
        what: '  incidents opened by the rules (event count)',
        value: incidents.length,
        unit: incidents.map((i) => `${i.rule_name}:${i.event_count}`).join(' '),
      },
      {
        what: `fill to ${STORED.toLocaleString('en')} (+100k other org), INSERT…SELECT`,
        value: round(fillSeconds, 1),
        unit: 's',
      },
      { what: `logs.query mix (${QUERIES}) over 1M, p50`, value: round(percentile(all, 50)), unit: 'ms' },
      {
        what: `logs.query mix (${QUERIES}) over 1M, p95`,
        value: round(p95),
        unit: 'ms',
        target: `< ${QUERY_TARGET_P95_MS} ms`,
        pass: p95 < QUERY_TARGET_P95_MS,
      },
      { what: `logs.query mix (${QUERIES}) over 1M, p99`, value: round(percentile(all, 99)), unit: 'ms' },
    ];
    for (const [kind, times] of perKind) {
      times.sort((a, b) => a - b);
      metrics.push({
        what: `  ${kind} (${times.length}): p50 / p95`,
        value: round(percentile(times, 50)),
        unit: `ms / ${round(percentile(times, 95))} ms`,
      });
    }
    return { name: 'logs', metrics };
  } finally {
    await api.close();
    await handle.destroy();
    await database.close();
  }
}

if (import.meta.main) {
  const result = await run();
  for (const metric of result.metrics)
    console.log(metric.what, metric.value, metric.unit, metric.target ?? '');
  process.exit(0);
}
