/**
 * Discovery search latency, PostgreSQL adapter (SPEC §13: p95 < 30 ms over 100k contents).
 *
 *   pnpm bench search                      (or node scripts/bench/search.ts)
 *
 * On a fresh database (BENCH_DATABASE_URL's server, else an embedded PostgreSQL started here):
 * 1. seeds 100,000 documents into one org — the worst case: every search of that org reads a
 *    100k-document index — plus 5,000 in a second org, through the adapter's own `upsert` in batches
 *    of 1,000 (search-corpus.ts: realistic titles, descriptions, 1–3 categories, 8 languages, dates
 *    over six years), and reports the indexing rate;
 * 2. VACUUM ANALYZE (what autovacuum does to a table after a bulk load), one warm-up pass;
 * 3. runs a weighted mix of the searches the Library makes (searchMix below: listings with and
 *    without filters and dates, topic words, known items, two words, prefixes, typos, words with
 *    filters; one in ten on the second page), one after another, and reports p50 / p95 / p99 of the
 *    whole mix (judged) and per kind of search, and the machine's load average (other processes on
 *    a shared 2-core machine move every number);
 * 4. runs the same mix through `discovery.search` as the API runs it (searchLibrary: the org's slug,
 *    the port, then the hydration of the page's ids from the content tables — the big org's documents
 *    are also content rows with media), without a cache: the worst case of a cold Redis.
 */
import { loadavg } from 'node:os';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../packages/db/src/index.ts';
import { createDb } from '../../packages/db/src/index.ts';
import { searchLibrary } from '../../packages/domain/src/discovery/discover.ts';
import { createPostgresSearch } from '../../packages/domain/src/discovery/postgres-search.ts';
import type {
  SearchDocument,
  SearchPort,
  SearchQuery,
} from '../../packages/domain/src/discovery/search-port.ts';
import {
  type BenchMetric,
  type BenchResult,
  benchDatabase,
  machineDescription,
  percentile,
  round,
} from './lib.ts';
import { CORPUS_END, corpusGenerator, prng, queryVocabulary } from './search-corpus.ts';

const TARGET_P95_MS = 30;
const DOCUMENTS = 100_000;
const OTHER_ORG_DOCUMENTS = 5_000;
const BATCH = 1_000;
const MEASURED_SEARCHES = 2_000;

type QueryShape = Omit<SearchQuery, 'orgId'>;

/**
 * Kinds of search with their share of the mix, and a generator of concrete queries for each. Words
 * are topics drawn uniformly (each in 3–14 % of the documents: broad queries), titles of existing
 * documents (a known item: selective), and the same topics mistyped or half-typed.
 */
function searchMix(random: () => number, knownTitles: readonly string[]) {
  const { topics, categories, languages } = queryVocabulary();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const year = 365 * 24 * 3600 * 1000;
  const swapTwoLetters = (word: string) => {
    const i = 1 + Math.floor(random() * (word.length - 3));
    return `${word.slice(0, i)}${word[i + 1]}${word[i]}${word.slice(i + 2)}`;
  };
  const knownItem = () => {
    const words = pick(knownTitles)
      .split(/\s+/)
      .filter((w) => /^\p{L}{3,}$/u.test(w));
    const start = Math.floor(random() * Math.max(1, words.length - 2));
    return words.slice(start, start + 2 + Math.floor(random() * 2)).join(' ');
  };
  const kinds: Array<{ kind: string; weight: number; query: () => QueryShape }> = [
    { kind: 'listing, no filter (facets)', weight: 20, query: () => ({ q: '' }) },
    {
      kind: 'listing + facet filter',
      weight: 15,
      query: () =>
        pick<QueryShape>([
          { mediaType: pick(['audio', 'video'] as const) },
          { category: pick(categories) },
          { language: pick(languages), mediaType: pick(['audio', 'video'] as const) },
        ]),
    },
    {
      kind: 'listing + last month / year',
      weight: 5,
      query: () => ({ dateFrom: new Date(CORPUS_END - (random() < 0.5 ? year / 12 : year)) }),
    },
    { kind: 'one topic word', weight: 20, query: () => ({ q: pick(topics) }) },
    { kind: 'known item (title words)', weight: 10, query: () => ({ q: knownItem() }) },
    { kind: 'two topic words', weight: 5, query: () => ({ q: `${pick(topics)} ${pick(topics)}` }) },
    {
      kind: 'prefix (typing)',
      weight: 10,
      query: () => ({ q: pick(topics).slice(0, 3 + Math.floor(random() * 3)) }),
    },
    { kind: 'typo', weight: 10, query: () => ({ q: swapTwoLetters(pick(topics)) }) },
    {
      kind: 'word + filters + dates',
      weight: 5,
      query: () => ({
        q: pick(topics),
        mediaType: pick(['audio', 'video'] as const),
        language: pick(languages),
        dateFrom: new Date(CORPUS_END - 2 * year),
      }),
    },
  ];
  const totalWeight = kinds.reduce((sum, k) => sum + k.weight, 0);
  return {
    kinds: kinds.map((k) => k.kind),
    next(): { kind: string; query: QueryShape } {
      let roll = random() * totalWeight;
      for (const k of kinds) {
        roll -= k.weight;
        // One search in ten asks for the second page.
        if (roll < 0) return { kind: k.kind, query: { ...k.query(), offset: random() < 0.1 ? 20 : 0 } };
      }
      const first = kinds[0] as (typeof kinds)[number];
      return { kind: first.kind, query: first.query() };
    },
  };
}

/** A fresh mix with its own random sequence (same kinds and weights). */
function mixFor(titles: readonly string[]) {
  return searchMix(prng(11), titles);
}

/** Seeds both orgs; returns the indexing rate and some titles of the big org (the known items). */
async function seed(search: SearchPort, db: Kysely<Database>, orgId: string, otherOrgId: string) {
  const corpus = corpusGenerator(42);
  const titles: string[] = [];
  const started = performance.now();
  for (let i = 0; i < DOCUMENTS; i += BATCH) {
    const batch = Array.from({ length: BATCH }, (_, k) => corpus.document(orgId, i + k));
    titles.push(batch[0]?.title ?? '');
    await search.upsert(batch);
    await insertContents(db, batch);
  }
  const rate = DOCUMENTS / ((performance.now() - started) / 1000);
  for (let i = 0; i < OTHER_ORG_DOCUMENTS; i += BATCH) {
    await search.upsert(
      Array.from({ length: BATCH }, (_, k) => corpus.document(otherOrgId, DOCUMENTS + i + k)),
    );
  }
  return { rate, titles };
}

/** The content rows discovery hydrates the documents' ids from (published, with external media). */
async function insertContents(db: Kysely<Database>, documents: readonly SearchDocument[]): Promise<void> {
  await db
    .insertInto('contents')
    .values(
      documents.map((d) => ({
        id: d.id,
        org_id: d.orgId,
        title: d.title.slice(0, 255),
        description: d.description.slice(0, 5_000),
        language: d.language,
        status: 'published' as const,
        publication_date: d.publicationDate,
      })),
    )
    .execute();
  await db
    .insertInto('content_media')
    .values(
      documents.map((d) => ({
        content_id: d.id,
        org_id: d.orgId,
        media_type: d.mediaType,
        source: 'external' as const,
        provider: 'youtube',
        external_url: `https://www.youtube.com/watch?v=${d.id}`,
      })),
    )
    .execute();
}

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase();
  const handle = createDb({ connectionString: database.url, poolSize: 2 });
  const db = handle.db;
  try {
    const [org, other] = await db
      .insertInto('orgs')
      .values([
        { slug: 'bench-search', name: 'Search bench' },
        { slug: 'bench-search-other', name: 'Search bench, other org' },
      ])
      .returning('id')
      .execute();
    if (!org || !other) throw new Error('could not create the bench orgs');
    const search = createPostgresSearch({ db });

    console.error(`seeding ${DOCUMENTS.toLocaleString('en')} documents…`);
    const { rate: indexingRate, titles } = await seed(search, db, org.id, other.id);
    await sql`VACUUM ANALYZE search_documents, search_terms, search_facet_counts, contents, content_media`.execute(
      db,
    );

    const mix = searchMix(prng(7), titles);
    // Warm-up: caches, plans, connections — as a running API would be.
    for (let i = 0; i < 300; i++) await search.search({ orgId: org.id, ...mix.next().query });

    // Other work on the machine shows up in every number below: record how busy it was.
    const loadBefore = loadavg()[0] ?? 0;
    const all: number[] = [];
    const byKind = new Map<string, number[]>(mix.kinds.map((k) => [k, []]));
    for (let i = 0; i < MEASURED_SEARCHES; i++) {
      const { kind, query } = mix.next();
      const started = performance.now();
      await search.search({ orgId: org.id, ...query });
      const ms = performance.now() - started;
      all.push(ms);
      byKind.get(kind)?.push(ms);
    }
    all.sort((a, b) => a - b);
    const p95 = percentile(all, 95);

    // The same kind of mix through discovery.search's use case: port + hydration, no cache.
    const library = mixFor(titles);
    const discovery: number[] = [];
    for (let i = 0; i < 100; i++) {
      await searchLibrary({ db, search }, null, { orgSlug: 'bench-search', ...library.next().query });
    }
    for (let i = 0; i < MEASURED_SEARCHES; i++) {
      const { query } = library.next();
      const started = performance.now();
      await searchLibrary({ db, search }, null, { orgSlug: 'bench-search', ...query });
      discovery.push(performance.now() - started);
    }
    discovery.sort((a, b) => a - b);
    const discoveryP95 = percentile(discovery, 95);

    const metrics: BenchMetric[] = [
      {
        what: 'machine load (1-min average, before → after)',
        value: round(loadavg()[0] ?? 0, 1),
        unit: `(before ${round(loadBefore, 1)})`,
      },
      { what: `indexing, batches of ${BATCH}`, value: Math.round(indexingRate), unit: 'docs/s' },
      { what: `search mix (${MEASURED_SEARCHES}), p50`, value: round(percentile(all, 50)), unit: 'ms' },
      {
        what: `search mix (${MEASURED_SEARCHES}), p95`,
        value: round(p95),
        unit: 'ms',
        target: `< ${TARGET_P95_MS} ms`,
        pass: p95 < TARGET_P95_MS,
      },
      { what: `search mix (${MEASURED_SEARCHES}), p99`, value: round(percentile(all, 99)), unit: 'ms' },
      {
        what: `discovery.search (port + hydration, no cache), p50`,
        value: round(percentile(discovery, 50)),
        unit: 'ms',
      },
      {
        what: `discovery.search (port + hydration, no cache), p95`,
        value: round(discoveryP95),
        unit: 'ms',
        target: `< ${TARGET_P95_MS} ms`,
        pass: discoveryP95 < TARGET_P95_MS,
      },
    ];
    for (const [kind, times] of byKind) {
      times.sort((a, b) => a - b);
      metrics.push({
        what: `  ${kind} (${times.length}): p50 / p95`,
        value: round(percentile(times, 95)),
        unit: `ms p95 (p50 ${round(percentile(times, 50))})`,
      });
    }
    return { name: 'search', metrics };
  } finally {
    await handle.destroy();
    await database.close();
  }
}

if (import.meta.main) {
  console.log(`search bench on ${machineDescription()}\n`);
  const result = await run();
  for (const m of result.metrics) {
    const verdict = m.pass === undefined ? '' : m.pass ? 'pass' : 'MISS';
    console.log(
      `${m.what.padEnd(52)}${`${m.value.toLocaleString('en')} ${m.unit}`.padStart(28)}  ${(m.target ?? '').padEnd(12)}${verdict}`,
    );
  }
  process.exit(result.metrics.some((m) => m.pass === false) ? 1 : 0);
}
