/**
 * AIMS sync (SPEC §13: a full sync of 10,000 articles against the simulator < 15 s; edit → label
 * latency at 50 edits/s).
 *
 *   pnpm bench aims                        (or node scripts/bench/aims.ts)
 *
 * On a fresh database (BENCH_DATABASE_URL's server, else an embedded PostgreSQL) with the AIMS
 * simulator in this process (it shares the two cores):
 * - a full sync of 10,000 spaces into an empty AIMS store (download, compare, 20 uploads of 500),
 *   then the steady-state run (everything already in step: download and compare only), then a run
 *   where every article differs (10,000 conflicts, server wins);
 * - the application's worker (relay + `workplace.sync-space`) while 500 spaces are edited at 50 edits/s:
 *   latency from the edit's commit to its row turning `synced` (AIMS answered the upsert).
 */
import { startAimsSimulator } from '@atrium/aims-simulator';
import { createDb } from '@atrium/db';
import { parseWorkerEnv } from '@atrium/worker/env';
import { startWorker } from '@atrium/worker/worker';
import { sql } from 'kysely';
import {
  configureNotificationKeys,
  createNotificationKeyring,
} from '../../packages/domain/src/notifications/crypto.ts';
import { createAimsClients, sealAimsPassword } from '../../packages/domain/src/workplace/connection.ts';
import { runFullSync, startFullSync } from '../../packages/domain/src/workplace/full-sync.ts';
import {
  type BenchMetric,
  type BenchResult,
  benchDatabase,
  machineDescription,
  percentile,
  round,
} from './lib.ts';

const ARTICLES = 10_000;
const FULL_SYNC_TARGET_MS = 15_000;
const EDITS = 500;
const EDITS_PER_SECOND = 50;
const KEY = Buffer.alloc(32, 9).toString('base64');

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase({ withQueues: true });
  const sim = await startAimsSimulator({
    companies: [{ code: 'BENCH', users: [{ username: 'sync@bench', password: 'bench-pw' }], stores: ['HQ'] }],
  });
  configureNotificationKeys(createNotificationKeyring(KEY));
  const handle = createDb({ connectionString: database.url, poolSize: 6 });
  const db = handle.db;
  const metrics: BenchMetric[] = [];
  try {
    const org = await db
      .insertInto('orgs')
      .values({ slug: 'aims-bench', name: 'AIMS bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('aims_connections')
      .values({
        org_id: org.id,
        base_url: sim.url,
        cluster: 'common',
        company: 'BENCH',
        store: 'HQ',
        username: 'sync@bench',
        password_enc: sealAimsPassword(org.id, 'bench-pw'),
        field_mapping: '{}',
        status: 'up',
      })
      .execute();
    for (let i = 0; i < ARTICLES; i += 1_000) {
      await db
        .insertInto('spaces')
        .values(
          Array.from({ length: 1_000 }, (_, j) => ({
            org_id: org.id,
            external_id: `S${String(i + j).padStart(6, '0')}`,
            data: JSON.stringify({ name: `Desk ${i + j}`, floor: String((i + j) % 12), zone: 'North' }),
          })),
        )
        .execute();
    }
    const deps = { db, aims: createAimsClients() };
    const fullSync = async (label: string) => {
      const { runId } = await startFullSync(db, {
        orgId: org.id,
        trigger: 'manual',
        entities: ['spaces', 'rooms'],
        requestedBy: null,
      });
      const started = performance.now();
      const result = await runFullSync(deps, { orgId: org.id, runId });
      const ms = performance.now() - started;
      if (result.status !== 'succeeded') throw new Error(`${label}: ${result.error}`);
      return { ms, result };
    };
    const first = await fullSync('first');
    metrics.push({
      what: `full sync, ${ARTICLES} articles into an empty store`,
      value: round(first.ms / 1000, 2),
      unit: 's',
      target: `< ${FULL_SYNC_TARGET_MS / 1000} s`,
      pass: first.ms < FULL_SYNC_TARGET_MS && first.result.uploaded === ARTICLES,
    });
    const steady = await fullSync('steady');
    metrics.push({
      what: `full sync, ${ARTICLES} articles already in step`,
      value: round(steady.ms / 1000, 2),
      unit: 's',
      target: `< ${FULL_SYNC_TARGET_MS / 1000} s`,
      pass:
        steady.ms < FULL_SYNC_TARGET_MS &&
        steady.result.uploaded === 0 &&
        steady.result.downloaded === ARTICLES,
    });
    await sql`UPDATE spaces SET data = data || '{"zone":"South"}'::jsonb, updated_at = now()`.execute(db);
    const conflicts = await fullSync('conflicts');
    metrics.push({
      what: `full sync, ${ARTICLES} conflicts (server wins)`,
      value: round(conflicts.ms / 1000, 2),
      unit: 's',
      target: `< ${FULL_SYNC_TARGET_MS / 1000} s`,
      pass: conflicts.ms < FULL_SYNC_TARGET_MS && conflicts.result.conflicts === ARTICLES,
    });

    // Edit → label latency through the real worker.
    const worker = await startWorker(
      parseWorkerEnv({
        NODE_ENV: 'production',
        DATABASE_URL: database.url,
        LOG_LEVEL: 'warn',
        WORKER_OPS_PORT: '0',
        WORKER_CONCURRENCY: '10',
        DATABASE_POOL_SIZE: '10',
        SMTP_URL: 'smtp://127.0.0.1:1025',
        NOTIFICATIONS_ENCRYPTION_KEY: KEY,
      }),
    );
    try {
      // 500 different spaces, one edit each, paced at EDITS_PER_SECOND.
      const ids = await db.selectFrom('spaces').select('id').orderBy('external_id').limit(EDITS).execute();
      const { updateSpace } = await import('../../packages/domain/src/workplace/spaces.ts');
      const session = {
        userId: '00000000-0000-4000-8000-00000000be02',
        orgId: org.id,
        roles: ['manager'],
        permissions: new Set(['workplace.write'] as const),
        platformRole: null,
        permissionVersion: 1,
      };
      const editedAt = new Map<string, number>();
      const started = performance.now();
      for (const [n, row] of ids.entries()) {
        const due = started + (n * 1000) / EDITS_PER_SECOND;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await updateSpace({ db }, session as never, { id: row.id, data: { name: `Edited ${n}` } });
        editedAt.set(row.id, Date.now());
      }
      const deadline = Date.now() + 60_000;
      let synced: Array<{ id: string; last_synced_at: Date | null }> = [];
      while (Date.now() < deadline) {
        synced = await db
          .selectFrom('spaces')
          .select(['id', 'last_synced_at'])
          .where(
            'id',
            'in',
            ids.map((r) => r.id),
          )
          .where('sync_status', '=', 'synced')
          .execute();
        if (synced.length === ids.length) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const latencies = synced
        .map((row) => (row.last_synced_at?.getTime() ?? Number.NaN) - (editedAt.get(row.id) ?? Number.NaN))
        .filter((ms) => Number.isFinite(ms))
        .map((ms) => Math.max(0, ms))
        .sort((a, b) => a - b);
      metrics.push(
        {
          what: `edit → label p50 at ${EDITS_PER_SECOND} edits/s (${synced.length}/${EDITS} synced)`,
          value: round(percentile(latencies, 50), 1),
          unit: 'ms',
        },
        {
          what: `edit → label p99 at ${EDITS_PER_SECOND} edits/s`,
          value: round(percentile(latencies, 99), 1),
          unit: 'ms',
        },
      );
    } finally {
      await worker.stop();
    }
    return { name: 'aims', metrics };
  } finally {
    await handle.destroy();
    await sim.close();
    await database.close();
  }
}

if (import.meta.main) {
  console.log(`aims bench on ${machineDescription()}\n`);
  const result = await run();
  for (const m of result.metrics) {
    console.log(
      `${m.what.padEnd(60)} ${String(m.value).padStart(10)} ${m.unit}${m.target ? `  (target ${m.target}: ${m.pass ? 'pass' : 'FAIL'})` : ''}`,
    );
  }
  process.exit(result.metrics.some((m) => m.pass === false) ? 1 : 0);
}
