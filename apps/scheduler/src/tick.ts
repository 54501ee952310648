import type { RealtimePublisher } from '@atrium/domain/realtime/port';
import {
  type ClaimedRun,
  claimDueOccurrence,
  findDueSchedules,
  type QuarantineNotice,
  type RecordResult,
  RunAbortedError,
  type RunDatabase,
  type RunOutcome,
  recordRunOutcome,
  releaseLeasesOf,
  runClaimedOccurrence,
  type ScheduleHandlerRegistry,
  type SchedulerEngineDeps,
} from '@atrium/domain/scheduling/index';
import { keepLeaseAlive } from './lease.ts';
import type { SchedulerMetrics } from './metrics.ts';

/**
 * The tick loop of one replica: every `tickMs`, find due schedules, claim each under its lease
 * (exactly one replica wins an occurrence attempt), and run the claimed ones in the background — at
 * most `concurrency` at once — renewing their leases and recording their outcomes behind the fence.
 */
export interface TickLoop {
  start(): void;
  /** One pass now (serialised with the loop's own passes). Tests drive the loop with it. */
  tick(): Promise<void>;
  /** Resolves once no run of this replica is in progress. */
  idle(): Promise<void>;
  /** Runs in progress on this replica (= leases held). */
  running(): number;
  /**
   * Stops ticking, lets runs in progress finish for up to `graceMs`, then aborts the rest (recorded as
   * failed, reason `shutdown`, retried at once by whichever replica is next), and releases every lease
   * this replica still holds.
   */
  stop(options: { graceMs: number }): Promise<void>;
}

export interface TickLoopOptions {
  engine: SchedulerEngineDeps;
  handlers: ScheduleHandlerRegistry;
  /**
   * The database of one run's handler: on connections of their own, never the engine's, and cut off
   * when the run is aborted (RunDatabase).
   */
  openRunDatabase: (limits: { statementDeadline: number }) => RunDatabase;
  /** Handed to handlers (ScheduleHandlerContext.realtime). */
  realtime: RealtimePublisher;
  metrics: SchedulerMetrics;
  tickMs: number;
  concurrency: number;
}

interface InFlight {
  run: ClaimedRun;
  controller: AbortController;
  done: Promise<void>;
}

const RECORD_ATTEMPTS = 3;

export function createTickLoop(options: TickLoopOptions): TickLoop {
  const { engine, metrics } = options;
  const log = engine.logger;
  const inFlight = new Map<string, InFlight>();
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let passes: Promise<void> = Promise.resolve();

  const pass = async (): Promise<void> => {
    if (stopping) return;
    const free = options.concurrency - inFlight.size;
    if (free <= 0) return;
    const ids = await findDueSchedules(engine.db, {
      now: engine.clock.now(),
      // A few more than we can take: other replicas may win some of them.
      limit: free * 3,
      excludeIds: [...inFlight.keys()],
    });
    for (const id of ids) {
      if (stopping || inFlight.size >= options.concurrency) break;
      let claim: Awaited<ReturnType<typeof claimDueOccurrence>>;
      try {
        claim = await claimDueOccurrence(engine, id);
      } catch (error) {
        log.warn({ scheduleId: id, err: error }, 'scheduler: claim failed');
        continue;
      }
      if (claim.skipped > 0 && claim.scheduleName) {
        metrics.runs.inc({ schedule: claim.scheduleName, status: 'skipped' }, claim.skipped);
        log.info({ schedule: claim.scheduleName }, 'scheduler: missed slots skipped (misfire policy)');
      }
      if (claim.quarantined) reportQuarantine(claim.quarantined);
      if (claim.run) launch(claim.run);
    }
  };

  const tick = (): Promise<void> => {
    passes = passes.then(() =>
      pass().then(
        () => {
          metrics.ticks.inc({ outcome: 'ok' });
        },
        (error: unknown) => {
          metrics.ticks.inc({ outcome: 'error' });
          log.error({ err: error }, 'scheduler: tick failed');
        },
      ),
    );
    return passes;
  };

  const launch = (run: ClaimedRun) => {
    const controller = new AbortController();
    const keeper = keepLeaseAlive({
      db: engine.db,
      clock: engine.clock,
      lease: run.lease,
      ttlMs: engine.leaseTtlMs,
      logger: log,
      onLost: () =>
        controller.abort(new RunAbortedError('lease_lost', `another replica took over ${run.lease.name}`)),
    });
    log.info(
      {
        schedule: run.scheduleName,
        scheduledFor: run.scheduledFor.toISOString(),
        attempt: run.attempt,
        trigger: run.trigger,
        token: run.lease.token.toString(),
      },
      'scheduler: run started',
    );
    const done = (async () => {
      try {
        const outcome = await runClaimedOccurrence(
          {
            openRunDatabase: options.openRunDatabase,
            clock: engine.clock,
            logger: log,
            handlers: options.handlers,
            realtime: options.realtime,
          },
          run,
          { signal: controller.signal },
        );
        keeper.stop();
        const recorded = await record(run, outcome);
        observe(run, outcome, recorded);
      } catch (error) {
        log.error({ schedule: run.scheduleName, err: error }, 'scheduler: run could not be completed');
      } finally {
        keeper.stop();
        inFlight.delete(run.scheduleId);
      }
    })();
    inFlight.set(run.scheduleId, { run, controller, done });
  };

  /** The outcome write, retried briefly on database errors; left to lease expiry if it keeps failing. */
  const record = async (run: ClaimedRun, outcome: RunOutcome): Promise<RecordResult | null> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await recordRunOutcome(engine, run, outcome);
      } catch (error) {
        if (attempt >= RECORD_ATTEMPTS) {
          log.error(
            { schedule: run.scheduleName, runId: run.runId, err: error },
            'scheduler: could not record the outcome; the lease will lapse and another replica will retry',
          );
          return null;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  };

  const observe = (run: ClaimedRun, outcome: RunOutcome, recorded: RecordResult | null) => {
    const fields = {
      schedule: run.scheduleName,
      scheduledFor: run.scheduledFor.toISOString(),
      attempt: run.attempt,
      status: outcome.status,
      durationMs: outcome.durationMs,
    };
    if (!recorded) return;
    if (!recorded.recorded) {
      metrics.fenced.inc({ schedule: run.scheduleName });
      log.warn(
        { ...fields, reason: recorded.reason, token: run.lease.token.toString() },
        'scheduler: outcome refused — this replica no longer holds the lease',
      );
      return;
    }
    metrics.runs.inc({ schedule: run.scheduleName, status: outcome.status });
    metrics.runDuration.observe(
      { schedule: run.scheduleName, status: outcome.status },
      outcome.durationMs / 1000,
    );
    if (outcome.status === 'succeeded') log.info(fields, 'scheduler: run succeeded');
    else {
      log.warn(
        { ...fields, error: outcome.error, retryAt: recorded.retryAt?.toISOString() ?? null },
        'scheduler: run failed',
      );
    }
    if (recorded.quarantined) reportQuarantine(recorded.quarantined);
  };

  /** Operators are notified by the worker (scheduling.quarantine-notice); the error log is the second alarm. */
  const reportQuarantine = (notice: QuarantineNotice) => {
    log.error(
      { ...notice, event: 'ScheduleQuarantined' },
      `scheduler: schedule "${notice.name}" quarantined after ${notice.consecutiveFailures} failed occurrences in a row`,
    );
  };

  const loop = async () => {
    timer = null;
    await tick();
    if (!stopping) timer = setTimeout(loop, options.tickMs);
  };

  return {
    start() {
      if (!timer && !stopping) timer = setTimeout(loop, 0);
    },
    tick,
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight.values()].map((entry) => entry.done));
    },
    running: () => inFlight.size,
    async stop({ graceMs }) {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await passes;
      const settled = () => Promise.all([...inFlight.values()].map((entry) => entry.done));
      let graceTimer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        settled().then(() => true),
        new Promise<boolean>((resolve) => {
          graceTimer = setTimeout(() => resolve(false), graceMs);
        }),
      ]);
      clearTimeout(graceTimer);
      if (!finished) {
        log.warn(
          { running: inFlight.size },
          'scheduler: shutdown grace period over; aborting runs in progress',
        );
        for (const entry of inFlight.values()) {
          entry.controller.abort(new RunAbortedError('shutdown', 'scheduler shutting down'));
        }
        await settled();
      }
      await releaseLeasesOf(engine.db, { owner: engine.nodeId, now: engine.clock.now() });
    },
  };
}
