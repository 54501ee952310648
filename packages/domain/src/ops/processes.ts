import { randomUUID } from 'node:crypto';
import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';

/**
 * Process heartbeats (SPEC §8 "Processes", docs/ops.md): every worker and scheduler process registers
 * itself in `ops_processes` when it starts and beats every few seconds. The console lists them,
 * marks one missing after `MISSED_BEATS` beats without news, and is red when a queue has waiting
 * work and no live process consuming it. Any number of replicas, nothing to configure: the rows are
 * the registry.
 */

/** A process is missing once this many beats have passed without one. */
export const MISSED_BEATS = 3;
/** Rows of processes gone (stopped or silent) for this long are pruned. */
export const PROCESS_RETENTION_HOURS = 24;

export type ProcessKind = 'worker' | 'scheduler';
export type ProcessStatus = 'live' | 'missing' | 'stopped';

export interface ProcessQueue {
  queue: string;
  concurrency: number;
}

export interface ProcessIdentity {
  kind: ProcessKind;
  host: string;
  pid: number;
  version: string;
  /** The queues this process consumes, with how many jobs of each it runs at once. */
  queues: ProcessQueue[];
  /** Its ops server (/health/ready, /metrics), when it runs one. */
  opsUrl: string | null;
}

export interface OpsProcessView extends ProcessIdentity {
  id: string;
  /** host:pid — how people tell processes apart. */
  name: string;
  beatSeconds: number;
  startedAt: Date;
  lastBeatAt: Date;
  stoppedAt: Date | null;
  /** Seconds since the last beat, by the database's clock. */
  silentForSeconds: number;
  status: ProcessStatus;
}

export function processName(process: { host: string; pid: number }): string {
  return `${process.host}:${process.pid}`;
}

/** Registers a process that just started; returns its id (fresh for every start). */
export async function registerProcess(
  db: Kysely<Database>,
  identity: ProcessIdentity,
  options: { beatSeconds: number; id?: string },
): Promise<string> {
  const id = options.id ?? randomUUID();
  await db
    .insertInto('ops_processes')
    .values(processRow(id, identity, options.beatSeconds))
    .execute();
  return id;
}

/** The row a process registers (and writes again when a beat finds it gone). */
function processRow(id: string, identity: ProcessIdentity, beatSeconds: number) {
  return {
    id,
    kind: identity.kind,
    host: identity.host,
    pid: identity.pid,
    version: identity.version,
    queues: JSON.stringify(identity.queues),
    ops_url: identity.opsUrl,
    beat_seconds: beatSeconds,
  };
}

/**
 * One beat: moves `last_beat_at` to now. A row that vanished (pruned after a long stall, a restored
 * database) is written again, so a process that is alive is always listed.
 */
export async function beatProcess(
  db: Kysely<Database>,
  id: string,
  identity: ProcessIdentity,
  beatSeconds: number,
): Promise<void> {
  await db
    .insertInto('ops_processes')
    .values(processRow(id, identity, beatSeconds))
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        last_beat_at: sql`now()`,
        stopped_at: null,
        queues: JSON.stringify(identity.queues),
      }),
    )
    .execute();
}

/** A clean stop: the process says goodbye, so the console shows it stopped rather than missing. */
export async function stopProcess(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('ops_processes').set({ stopped_at: sql`now()` }).where('id', '=', id).execute();
}

/** Forgets processes that stopped or fell silent more than PROCESS_RETENTION_HOURS ago. */
export async function pruneProcesses(db: Kysely<Database>): Promise<number> {
  const result = await db
    .deleteFrom('ops_processes')
    .where('last_beat_at', '<', sql<Date>`now() - make_interval(hours => ${PROCESS_RETENTION_HOURS})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Every process registered in the last PROCESS_RETENTION_HOURS, live ones first. Stopped processes
 * stay listed for an hour so a restart is visible, then only missing and live ones remain.
 */
export async function listProcesses(db: Kysely<Database>): Promise<OpsProcessView[]> {
  const rows = await db
    .selectFrom('ops_processes')
    .selectAll()
    .select([
      sql<number>`extract(epoch FROM now() - last_beat_at)::float8`.as('silent_for'),
      sql<boolean>`last_beat_at < now() - make_interval(secs => beat_seconds * ${MISSED_BEATS})`.as(
        'is_missing',
      ),
    ])
    .where((eb) =>
      eb.or([eb('stopped_at', 'is', null), eb('stopped_at', '>', sql<Date>`now() - interval '1 hour'`)]),
    )
    .orderBy('kind')
    .orderBy('started_at', 'desc')
    .execute();
  const order: Record<ProcessStatus, number> = { missing: 0, live: 1, stopped: 2 };
  return rows
    .map((row): OpsProcessView => {
      const status: ProcessStatus = row.stopped_at ? 'stopped' : row.is_missing ? 'missing' : 'live';
      return {
        id: row.id,
        kind: row.kind,
        host: row.host,
        pid: row.pid,
        name: processName(row),
        version: row.version,
        queues: row.queues,
        opsUrl: row.ops_url,
        beatSeconds: row.beat_seconds,
        startedAt: row.started_at,
        lastBeatAt: row.last_beat_at,
        stoppedAt: row.stopped_at,
        silentForSeconds: Math.max(0, Math.round(Number(row.silent_for) * 10) / 10),
        status,
      };
    })
    .sort((a, b) => order[a.status] - order[b.status]);
}

/** Live consumers per queue name (processes that are live and consume it). */
export function consumersByQueue(processes: readonly OpsProcessView[]): Map<string, number> {
  const consumers = new Map<string, number>();
  for (const process of processes) {
    if (process.status !== 'live') continue;
    for (const { queue } of process.queues) consumers.set(queue, (consumers.get(queue) ?? 0) + 1);
  }
  return consumers;
}

export interface Heartbeat {
  id: string;
  /** Beats now (tests; the timer beats every beatSeconds). */
  beat(): Promise<void>;
  /** Stops beating and marks the process stopped. */
  stop(): Promise<void>;
}

/**
 * Registers the process and beats every `beatSeconds` until stopped. A failed beat (database down)
 * is reported and retried at the next tick; the console shows the process missing meanwhile, which
 * is the truth as far as anyone can tell.
 */
export async function startHeartbeat(options: {
  db: Kysely<Database>;
  identity: ProcessIdentity;
  beatSeconds: number;
  onError?: (error: unknown) => void;
}): Promise<Heartbeat> {
  const { db, identity, beatSeconds } = options;
  const id = await registerProcess(db, identity, { beatSeconds });
  let inFlight: Promise<void> | null = null;
  let beats = 0;
  const beat = async () => {
    await beatProcess(db, id, identity, beatSeconds);
    // Pruning is cheap and rare: every hundredth beat of each process.
    if (++beats % 100 === 1) await pruneProcesses(db);
  };
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = beat()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        inFlight = null;
      });
  }, beatSeconds * 1000);
  timer.unref();
  let stopped: Promise<void> | null = null;
  return {
    id,
    beat,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await inFlight;
        await stopProcess(db, id);
      })();
      return stopped;
    },
  };
}
