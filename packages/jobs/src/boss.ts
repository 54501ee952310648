import { PgBoss } from 'pg-boss';

export const DEFAULT_BOSS_SCHEMA = 'pgboss';

export interface CreateBossOptions {
  connectionString: string;
  /** Size of pg-boss's own pool (fetches, completions, maintenance). */
  poolSize?: number;
  schema?: string;
  applicationName?: string;
  /**
   * Run pg-boss's background duties (supervision, monitoring, queue stats). On for processes that
   * work queues; off for short-lived tools such as the schema installer.
   */
  supervise?: boolean;
  /** Hold a LISTEN connection so workers wake when a job lands on a notify-enabled queue. */
  listen?: boolean;
  /** pg-boss reports background failures as events; unhandled they would crash the process. */
  onError?: (error: Error) => void;
  onWarning?: (warning: { message: string; data: object }) => void;
}

/**
 * A PgBoss configured the way Atrium runs it, not yet started (call `start()`).
 *
 * - LISTEN/NOTIFY on: the catalogue's queues are created with `notify`, so a job inserted by the
 *   relay wakes its workers on commit instead of at the next poll.
 * - `persistQueueStats`: a snapshot of every queue's counts on each monitor pass, which the Ops
 *   console charts (queue depth and failures over time, SPEC §8).
 * - pg-boss's own cron is off: the scheduler app owns schedules (SPEC §8).
 */
export function createBoss({
  connectionString,
  poolSize = 10,
  schema = DEFAULT_BOSS_SCHEMA,
  applicationName = 'atrium-jobs',
  supervise = true,
  listen = true,
  onError,
  onWarning,
}: CreateBossOptions): PgBoss {
  const boss = new PgBoss({
    connectionString,
    schema,
    max: poolSize,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    migrate: true,
    schedule: false,
    supervise,
    useListenNotify: listen,
    persistQueueStats: supervise,
    // Queue counts feed /metrics and the Ops console; half a minute is fresh enough for both and
    // cheap for the database. The cache only backs pg-boss's own notify/burst decisions.
    monitorIntervalSeconds: 30,
    // A pass every 30 s: it also fails the jobs of a dead worker (heartbeat lapsed, queues.ts), so
    // this bounds how long they wait before another worker retries them.
    superviseIntervalSeconds: 30,
    queueCacheIntervalSeconds: 30,
  });
  boss.on('error', (error) => {
    if (onError) onError(error);
  });
  boss.on('warning', (warning) => {
    if (onWarning) onWarning(warning);
  });
  return boss;
}
