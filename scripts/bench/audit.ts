/**
 * Audit log throughput (SPEC §13: append ≥ 2,000/s per org · verify ≥ 100,000 entries/s).
 *
 *   pnpm bench audit                       (or node scripts/bench/audit.ts)
 *
 * On a fresh database (BENCH_DATABASE_URL's server, else an embedded PostgreSQL started here):
 * - single appends, each in its own transaction as a use case makes them, from 1 and from 4
 *   concurrent writers of the same org (they serialise on the org's chain head);
 * - batched appends (appendAuditBatch, 1,000 per transaction), which also build a ≥ 100,000-entry chain;
 * - verifyAuditChain over that whole chain (median of three runs after a warm-up).
 */
import { createDb, type DbHandle } from '@atrium/db';
// The root package does not depend on @atrium/domain; the bench reaches its source directly.
import {
  type AuditEntryInput,
  appendAudit,
  appendAuditBatch,
  verifyAuditChain,
} from '../../packages/domain/src/audit/index.ts';
import { type BenchMetric, type BenchResult, benchDatabase, machineDescription, round } from './lib.ts';

const APPEND_TARGET = 2_000;
const VERIFY_TARGET = 100_000;
const SINGLE_APPENDS = 4_000;
const CONCURRENT_WRITERS = 4;
const BATCH_SIZE = 1_000;
const CHAIN_LENGTH = 120_000;

function entry(orgId: string, i: number): AuditEntryInput {
  return {
    orgId,
    actorId: '00000000-0000-4000-8000-00000000be01',
    action: i % 2 === 0 ? 'user.roles_set' : 'content.published',
    resourceType: i % 2 === 0 ? 'user' : 'content',
    resourceId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    // A typical "what changed": a handful of fields, ~150 bytes of JSON.
    payload: {
      before: { roles: ['viewer'] },
      after: { roles: ['viewer', 'editor'] },
      ip: '203.0.113.7',
      n: i,
    },
  };
}

type Db = DbHandle['db'];

async function createOrg(db: Db, slug: string): Promise<string> {
  const org = await db
    .insertInto('orgs')
    .values({ slug, name: slug })
    .returning('id')
    .executeTakeFirstOrThrow();
  return org.id;
}

/** `total` single appends, each in its own transaction, spread over `writers` concurrent connections. */
async function singleAppends(db: Db, orgId: string, writers: number, total: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < total) {
        const i = next++;
        await db.transaction().execute((trx) => appendAudit(trx, entry(orgId, i)));
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase();
  const handle = createDb({ connectionString: database.url, poolSize: CONCURRENT_WRITERS + 2 });
  const db = handle.db;
  try {
    const metrics: BenchMetric[] = [];
    const appendMetric = (what: string, perSecond: number, judged: boolean): BenchMetric => ({
      what,
      value: Math.round(perSecond),
      unit: 'appends/s',
      ...(judged
        ? { target: `≥ ${APPEND_TARGET.toLocaleString('en')} /s`, pass: perSecond >= APPEND_TARGET }
        : {}),
    });

    // Warm-up: connections, plan cache, JIT of the hashing path.
    const warm = await createOrg(db, 'bench-audit-warm');
    await singleAppends(db, warm, CONCURRENT_WRITERS, 500);

    const one = await createOrg(db, 'bench-audit-single');
    metrics.push(
      appendMetric(
        'append, 1 writer, 1 per transaction',
        await singleAppends(db, one, 1, SINGLE_APPENDS),
        false,
      ),
    );

    const many = await createOrg(db, 'bench-audit-concurrent');
    metrics.push(
      appendMetric(
        `append, ${CONCURRENT_WRITERS} writers of one org, 1 per transaction`,
        await singleAppends(db, many, CONCURRENT_WRITERS, SINGLE_APPENDS),
        true,
      ),
    );

    const big = await createOrg(db, 'bench-audit-chain');
    const batchStarted = performance.now();
    for (let start = 0; start < CHAIN_LENGTH; start += BATCH_SIZE) {
      const entries = Array.from({ length: BATCH_SIZE }, (_, k) => entry(big, start + k));
      await db.transaction().execute((trx) => appendAuditBatch(trx, big, entries));
    }
    metrics.push(
      appendMetric(
        `append, batched ${BATCH_SIZE.toLocaleString('en')} per transaction`,
        CHAIN_LENGTH / ((performance.now() - batchStarted) / 1000),
        false,
      ),
    );

    await handle.pool.query('VACUUM ANALYZE audit_entries');
    const warmResult = await verifyAuditChain(db, big);
    if (!warmResult.ok || warmResult.entries !== CHAIN_LENGTH) {
      throw new Error(`the benchmark chain did not verify: ${JSON.stringify(warmResult)}`);
    }
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const result = await verifyAuditChain(db, big);
      const seconds = (performance.now() - started) / 1000;
      if (!result.ok) throw new Error('verify failed during the benchmark');
      rates.push(result.entries / seconds);
    }
    const verifyRate = rates.sort((a, b) => a - b)[1] ?? Number.NaN;
    metrics.push({
      what: `verify, ${CHAIN_LENGTH.toLocaleString('en')}-entry chain (median of 3)`,
      value: Math.round(verifyRate),
      unit: 'entries/s',
      target: `≥ ${VERIFY_TARGET.toLocaleString('en')} /s`,
      pass: verifyRate >= VERIFY_TARGET,
    });
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    metrics.push({ what: 'heap used after verify', value: round(heap, 1), unit: 'MB' });
    return { name: 'audit', metrics };
  } finally {
    await handle.destroy();
    await database.close();
  }
}

if (import.meta.main) {
  console.log(`audit bench on ${machineDescription()}\n`);
  const result = await run();
  for (const m of result.metrics) {
    const verdict = m.pass === undefined ? '' : m.pass ? 'pass' : 'MISS';
    console.log(
      `${m.what.padEnd(52)}${`${m.value.toLocaleString('en')} ${m.unit}`.padStart(20)}  ${(m.target ?? '').padEnd(16)}${verdict}`,
    );
  }
  console.log(`\n${JSON.stringify(result, null, 2)}`);
  process.exit(result.metrics.some((m) => m.pass === false) ? 1 : 0);
}
