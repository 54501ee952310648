import { Counter, Gauge, Histogram, type Registry } from '@atrium/observability';

/** Run durations reach from milliseconds (cleanup of nothing) to the longest allowed runtime. */
const RUN_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export interface SchedulerMetrics {
  runs: Counter<'schedule' | 'status'>;
  runDuration: Histogram<'schedule' | 'status'>;
  fenced: Counter<'schedule'>;
  ticks: Counter<'outcome'>;
}

/** What a pg pool reports about itself (pg.Pool's counters). */
interface PoolCounters {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export function createSchedulerMetrics(
  registry: Registry,
  sources: {
    leasesHeld: () => number;
    /** `control`: claims, heartbeats, outcome writes; `handlers`: the handlers' own pool. */
    pools: Record<'control' | 'handlers', PoolCounters>;
  },
): SchedulerMetrics {
  const leases: Gauge = new Gauge({
    name: 'atrium_scheduler_leases_held',
    help: 'Schedule leases this replica holds right now (one per run in progress)',
    registers: [registry],
    collect() {
      leases.set(sources.leasesHeld());
    },
  });
  const connections: Gauge<'pool' | 'state'> = new Gauge({
    name: 'atrium_scheduler_db_connections',
    help: 'Database connections of this replica by pool (control, handlers) and state (busy, idle, waiting = checkouts queued)',
    labelNames: ['pool', 'state'],
    registers: [registry],
    collect() {
      for (const [pool, counters] of Object.entries(sources.pools)) {
        connections.set({ pool, state: 'busy' }, counters.totalCount - counters.idleCount);
        connections.set({ pool, state: 'idle' }, counters.idleCount);
        connections.set({ pool, state: 'waiting' }, counters.waitingCount);
      }
    },
  });
  return {
    runs: new Counter({
      name: 'atrium_schedule_runs_total',
      help: 'Schedule run attempts recorded by this replica, by schedule and status (skipped: missed slots)',
      labelNames: ['schedule', 'status'],
      registers: [registry],
    }),
    runDuration: new Histogram({
      name: 'atrium_schedule_run_duration_seconds',
      help: 'Schedule handler duration by schedule and status',
      labelNames: ['schedule', 'status'],
      buckets: RUN_DURATION_BUCKETS,
      registers: [registry],
    }),
    fenced: new Counter({
      name: 'atrium_schedule_runs_fenced_total',
      help: 'Outcomes refused because this replica had lost the lease (another replica took over)',
      labelNames: ['schedule'],
      registers: [registry],
    }),
    ticks: new Counter({
      name: 'atrium_scheduler_ticks_total',
      help: 'Ticks of this replica by outcome (ok, error)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
