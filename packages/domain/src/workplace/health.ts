import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { silentLog } from '../platform/logger.ts';
import { publishQuietly } from '../realtime/publishers.ts';
import { scoped } from '../tenancy/scoped.ts';
import { type AimsConnectionRow, aimsClientsOf, type WorkplaceDeps } from './connection.ts';
import { startFullSync } from './full-sync.ts';
import { requeueUnsyncedArticles } from './sync.ts';

/**
 * The AIMS health probe (SPEC §9, docs/workplace.md): every connected org's AIMS is asked for a
 * token and one article (`testConnection`). A failure sets the connection `down` and **paused**; a
 * success after that sets it `up`, unpauses it and asks again for every article left unsynced, so the
 * backlog flushes. Each change of status is announced live (`aims.health`).
 *
 * The pause: a sync job that starts while its org is paused makes no AIMS call and finishes as
 * `deferred` — it neither fails nor burns a retry, and its row stays `pending`. On recovery the probe
 * requeues every pending row (one coalesced job per article).
 */
const PROBE_CONCURRENCY = 8;

export interface HealthProbeResult {
  orgId: string;
  status: 'up' | 'down';
  changed: boolean;
  ms: number;
  error?: string;
  requeued?: { spaces: number; rooms: number };
}

export async function probeAimsHealth(
  deps: WorkplaceDeps & { signal?: AbortSignal },
  options: { orgId?: string } = {},
): Promise<HealthProbeResult[]> {
  let query = deps.db.selectFrom('aims_connections').selectAll().orderBy('org_id');
  if (options.orgId) query = query.where('org_id', '=', options.orgId);
  const connections = (await query.execute()) as AimsConnectionRow[];
  const results: HealthProbeResult[] = [];
  // A few at a time: a down AIMS usually fails fast (connection refused), but a hanging one takes the
  // client's whole budget, and one slow org must not hold up every other org's verdict.
  for (let i = 0; i < connections.length && !deps.signal?.aborted; i += PROBE_CONCURRENCY) {
    results.push(
      ...(await Promise.all(connections.slice(i, i + PROBE_CONCURRENCY).map((c) => probeOne(deps, c)))),
    );
  }
  return results;
}

async function probeOne(
  deps: WorkplaceDeps & { signal?: AbortSignal },
  connection: AimsConnectionRow,
): Promise<HealthProbeResult> {
  const log = deps.log ?? silentLog;
  const orgId = connection.org_id;
  const started = Date.now();
  let error: string | undefined;
  try {
    await aimsClientsOf(deps)
      .forConnection(connection)
      .testConnection(deps.signal ? { signal: deps.signal } : {});
  } catch (failure) {
    if (deps.signal?.aborted) throw failure;
    error = failure instanceof Error ? failure.message : String(failure);
  }
  const ms = Date.now() - started;
  const status = error ? 'down' : 'up';
  const scope = scoped(deps.db, orgId);
  const changedRow = await scope
    .updateTable('aims_connections')
    .set(
      error
        ? { status: 'down', paused: true, last_error: error.slice(0, 2_000), last_checked_at: new Date() }
        : {
            status: 'up',
            paused: false,
            last_error: null,
            last_ok_at: new Date(),
            last_checked_at: new Date(),
          },
    )
    // Only the probe that sees the change reports it (two replicas never announce one recovery twice).
    .where(({ eb, or }) =>
      error
        ? or([eb('status', '<>', 'down'), eb('paused', '=', false)])
        : or([eb('status', '<>', 'up'), eb('paused', '=', true)]),
    )
    .returning('org_id')
    .executeTakeFirst();
  if (!changedRow) {
    await scope
      .updateTable('aims_connections')
      .set({ last_checked_at: new Date(), ...(error ? {} : { last_ok_at: new Date() }) })
      .execute();
    return { orgId, status, changed: false, ms, ...(error ? { error } : {}) };
  }
  let requeued: { spaces: number; rooms: number } | undefined;
  if (!error) requeued = await requeueUnsyncedArticles(deps.db, orgId);
  log.info({ orgId, status, error, requeued }, `AIMS is ${status}`);
  await publishQuietly(
    deps.realtime,
    {
      orgId,
      type: 'aims.health',
      payload: { status, paused: status === 'down', error: error ?? null, ms },
      audience: { permission: 'workplace.write' },
    },
    deps.log,
  );
  return { orgId, status, changed: true, ms, ...(error ? { error } : {}), ...(requeued ? { requeued } : {}) };
}

/** The 15-minute reconciliation: a full sync of every connected org that is up (one per org at a time). */
export async function startReconciliations(
  db: Kysely<Database>,
): Promise<{ started: number; skipped: number }> {
  const connections = await db.selectFrom('aims_connections').select(['org_id', 'paused']).execute();
  let started = 0;
  let skipped = 0;
  for (const connection of connections) {
    if (connection.paused) {
      skipped += 1;
      continue;
    }
    const run = await startFullSync(db, {
      orgId: connection.org_id,
      trigger: 'schedule',
      entities: ['spaces', 'rooms'],
      requestedBy: null,
    });
    if (run.alreadyRunning) skipped += 1;
    else started += 1;
  }
  return { started, skipped };
}

/** For `/health/ready`: AIMS per org, summarised (never names an org). */
export async function aimsHealthSummary(
  db: Kysely<Database>,
): Promise<{ connected: number; up: number; down: number; unknown: number }> {
  const rows = await db
    .selectFrom('aims_connections')
    .select(({ fn }) => ['status', fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute();
  const summary = { connected: 0, up: 0, down: 0, unknown: 0 };
  for (const row of rows) {
    summary[row.status] += Number(row.n);
    summary.connected += Number(row.n);
  }
  return summary;
}
