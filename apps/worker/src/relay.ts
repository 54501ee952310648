import type { Database } from '@atrium/db';
import { type PgListener, startPgListener } from '@atrium/db/listener';
import {
  envelopeOf,
  OUTBOX_CHANNEL,
  type QueueCatalogue,
  type QueueDefinition,
  subscriptionsByEventType,
} from '@atrium/domain';
import { kyselyJobsDb, outboxJobId } from '@atrium/jobs';
import {
  Counter,
  createLogger,
  Histogram,
  LATENCY_BUCKETS,
  type Logger,
  type Registry,
} from '@atrium/observability';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { JobInsert, PgBoss } from 'pg-boss';

/**
 * The outbox relay (SPEC §2): moves committed outbox events into the pg-boss queues subscribed to
 * their type. Any number of relays may run (one per worker replica); the guarantees below hold for
 * all of them together. See docs/events.md for the full argument.
 *
 * - **At most one enqueue per (event, queue).** Jobs are inserted by the same transaction that marks
 *   the events published, under `FOR UPDATE SKIP LOCKED` row locks, with ids derived from the event
 *   and the queue (`outboxJobId`). A relay that dies before commit leaves nothing behind; one that
 *   runs again over an event whose `published_at` was reset inserts the same ids, and pg-boss drops
 *   them as duplicates while the first jobs exist.
 * - **Per-aggregate order.** A relay publishes an event only when no earlier event of its aggregate
 *   is still unpublished outside its own batch (another relay holds it, or it failed), and only when
 *   no earlier event of its aggregate was published by a transaction that overlapped this one. The
 *   second rule makes pg-boss's `created_on` (the relay transaction's start) strictly increase along
 *   an aggregate's events; within one transaction job ids carry `seq`, so ordered queues
 *   (`key_strict_fifo`, keyed by aggregate) see events in outbox order.
 * - **Poison isolation.** A batch that fails is retried event by event under savepoints; an event
 *   whose fan-out fails records `attempts`/`last_error` and holds back only its own aggregate.
 */

export interface ClaimedEvent {
  id: string;
  seq: string;
  org_id: string | null;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: unknown;
  created_at: Date;
  attempts: number;
}

/** What a fan-out did inside the relay transaction (metrics are counted once it commits). */
interface FanOut {
  published: ClaimedEvent[];
  failed: number;
  /** Jobs inserted per queue. */
  enqueued: Map<string, number>;
}

interface ClaimedRow extends ClaimedEvent {
  /** An earlier event of the same aggregate is not publishable in this transaction. */
  blocked: boolean;
}

export interface RelayBatchResult {
  /** Rows locked by this batch. */
  claimed: number;
  published: number;
  /** Claimed but left for later: an earlier event of their aggregate is not yet published. */
  deferred: number;
  /** Events whose fan-out failed in this batch (recorded in attempts/last_error). */
  failed: number;
}

export interface RelayMetrics {
  eventsRelayed: Counter<'type'>;
  jobsEnqueued: Counter<'queue'>;
  failures: Counter<'scope'>;
  /** Events claimed but left for a later transaction to keep their aggregate's order. */
  deferred: Counter;
  batchDuration: Histogram<'mode'>;
}

export function createRelayMetrics(registry: Registry): RelayMetrics {
  return {
    eventsRelayed: new Counter({
      name: 'atrium_outbox_events_relayed_total',
      help: 'Outbox events published to their subscriber queues, by event type',
      labelNames: ['type'],
      registers: [registry],
    }),
    jobsEnqueued: new Counter({
      name: 'atrium_outbox_jobs_enqueued_total',
      help: 'Jobs the outbox relay inserted, by queue',
      labelNames: ['queue'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'atrium_outbox_relay_failures_total',
      help: 'Relay failures: a whole batch (scope=batch) or one event fan-out (scope=event)',
      labelNames: ['scope'],
      registers: [registry],
    }),
    deferred: new Counter({
      name: 'atrium_outbox_events_deferred_total',
      help: 'Events a relay claimed but left for later because an earlier event of their aggregate was not yet published',
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'atrium_outbox_relay_batch_duration_seconds',
      help: 'Duration of one relay transaction, by mode (fast: one insert per queue; careful: per event)',
      labelNames: ['mode'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}

export interface OutboxRelayOptions {
  db: Kysely<Database>;
  /** A started boss (the relay uses its queue cache; the inserts run on `db`). */
  boss: PgBoss;
  catalogue: QueueCatalogue;
  /** Connection for the dedicated LISTEN session; without it the relay only polls. */
  listenConnectionString?: string;
  batchSize?: number;
  /** Safety-net poll while LISTEN delivers; also the only trigger when LISTEN is down. */
  pollIntervalMs?: number;
  logger?: Logger;
  metrics?: RelayMetrics;
  hooks?: RelayHooks;
}

/** Points where tests interleave other work or inject faults into a relay transaction. */
export interface RelayHooks {
  /** Right after BEGIN, before the claim. */
  afterBegin?: () => void | Promise<void>;
  /** After the jobs are inserted, before the transaction commits; throwing rolls it all back. */
  beforeCommit?: (events: readonly ClaimedEvent[]) => void | Promise<void>;
}

export interface OutboxRelay {
  /** Starts listening and polling. */
  start(): Promise<void>;
  /** Stops waking, closes the LISTEN session and waits for the batch in flight. */
  stop(): Promise<void>;
  /** One transaction: claim, fan out, mark published. Throws when the transaction fails. */
  relayBatch(): Promise<RelayBatchResult>;
  /** Batches until caught up (a short batch), blocked, or stopping. */
  drain(): Promise<RelayBatchResult>;
  /** Asks for a drain soon; coalesces with one in flight. */
  wake(): void;
  /** Whether the LISTEN session is up (polling covers when it is not). */
  listening(): boolean;
}

/** Unpublished outbox events and the age of the oldest (SPEC §8 "outbox lag"). */
export async function outboxBacklog(
  db: Kysely<Database>,
): Promise<{ pending: number; failing: number; lagSeconds: number }> {
  const { rows } = await sql<{ pending: number; failing: number; lag_seconds: number }>`
    SELECT count(*)::int AS pending,
           count(*) FILTER (WHERE attempts > 0)::int AS failing,
           COALESCE(EXTRACT(EPOCH FROM (now() - min(created_at))), 0)::float8 AS lag_seconds
    FROM outbox_events
    WHERE published_at IS NULL
  `.execute(db);
  const row = rows[0];
  return { pending: row?.pending ?? 0, failing: row?.failing ?? 0, lagSeconds: row?.lag_seconds ?? 0 };
}

const DEFER_RETRY_MS = 25;
/** Longest wait before retrying after failed batches. */
const MAX_BACKOFF_MS = 10_000;

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, boss, listenConnectionString, metrics, hooks } = options;
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const logger = options.logger ?? createLogger({ name: 'outbox-relay', level: 'silent' });
  const subscriptions = subscriptionsByEventType(options.catalogue);

  let state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  let inFlight: Promise<void> | null = null;
  let wakeAgain = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let soonTimer: NodeJS.Timeout | undefined;
  let failureStreak = 0;
  let listener: PgListener | null = null;

  async function relayBatch(): Promise<RelayBatchResult> {
    const started = performance.now();
    let attempted: ClaimedEvent[] = [];
    let mode: 'fast' | 'careful' = 'fast';
    try {
      const result = await db.transaction().execute(async (trx) => {
        if (hooks?.afterBegin) await hooks.afterBegin();
        const claimed = await claim(trx);
        const ready = claimed.filter((row) => !row.blocked);
        attempted = ready;
        // An event that failed before gets the careful path, so it cannot sink the rest of its batch.
        mode = ready.some((row) => row.attempts > 0) ? 'careful' : 'fast';
        const { published, failed, enqueued } =
          mode === 'fast' ? await fanOutBatch(trx, ready) : await fanOutEachEvent(trx, ready);
        if (hooks?.beforeCommit) await hooks.beforeCommit(published);
        if (published.length > 0) {
          // clock_timestamp(), not now(): the ordering rule compares it with later transactions'
          // start. Taken once (an InitPlan), so one batch shares one instant.
          await sql`
            UPDATE outbox_events SET published_at = (SELECT clock_timestamp())
            WHERE id = ANY(${published.map((e) => e.id)}::uuid[])
          `.execute(trx);
        }
        return {
          claimed: claimed.length,
          published: published.length,
          // Blocked by the claim, or held back behind an event of their aggregate that failed.
          deferred: claimed.length - published.length - failed,
          failed,
          publishedEvents: published,
          enqueued,
        };
      });
      // Counted once committed: a rolled-back batch relayed nothing.
      metrics?.batchDuration.observe({ mode }, (performance.now() - started) / 1000);
      for (const event of result.publishedEvents) metrics?.eventsRelayed.inc({ type: event.type });
      for (const [queue, count] of result.enqueued) metrics?.jobsEnqueued.inc({ queue }, count);
      if (result.deferred > 0) metrics?.deferred.inc(result.deferred);
      return {
        claimed: result.claimed,
        published: result.published,
        deferred: result.deferred,
        failed: result.failed,
      };
    } catch (error) {
      metrics?.failures.inc({ scope: 'batch' });
      await recordFailure(attempted, error);
      throw error;
    }
  }

  async function claim(trx: Transaction<Database>): Promise<ClaimedRow[]> {
    // The CTE locks the oldest unpublished rows no other relay holds. An event is then `blocked` when
    //  (a) an earlier event of its aggregate is unpublished and not in this batch — another relay
    //      holds it, or it is failing — so publishing now would overtake it; or
    //  (b) an earlier event of its aggregate was published by a transaction that was still running
    //      when this one began (its published_at, a clock_timestamp() taken just before its commit,
    //      is not before our now()), so our jobs' created_on could sort before its jobs'.
    // Blocked rows stay locked until commit and are claimed again by a later transaction.
    const { rows } = await sql<ClaimedRow>`
      WITH candidates AS MATERIALIZED (
        SELECT id, seq, org_id, type, aggregate_type, aggregate_id, payload, created_at, attempts
        FROM outbox_events
        WHERE published_at IS NULL
        ORDER BY seq
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED
      )
      SELECT c.*,
        (
          EXISTS (
            SELECT 1 FROM outbox_events p
            WHERE p.published_at IS NULL
              AND p.aggregate_type = c.aggregate_type
              AND p.aggregate_id = c.aggregate_id
              AND p.seq < c.seq
              AND p.id NOT IN (SELECT id FROM candidates)
          )
          OR EXISTS (
            SELECT 1 FROM outbox_events r
            WHERE r.published_at >= now()
              AND r.aggregate_type = c.aggregate_type
              AND r.aggregate_id = c.aggregate_id
              AND r.seq < c.seq
          )
        ) AS blocked
      FROM candidates c
      ORDER BY c.seq
    `.execute(trx);
    // Within the batch, a blocked event blocks every later event of its aggregate as well.
    const blockedAggregates = new Set<string>();
    for (const row of rows) {
      const key = aggregateKey(row);
      if (row.blocked) blockedAggregates.add(key);
      else if (blockedAggregates.has(key)) row.blocked = true;
    }
    return rows;
  }

  /** The fast path: one insert per subscriber queue for the whole batch. */
  async function fanOutBatch(trx: Transaction<Database>, events: readonly ClaimedEvent[]): Promise<FanOut> {
    const jobsByQueue = new Map<QueueDefinition, JobInsert[]>();
    for (const event of events) {
      for (const queue of subscriptions.get(event.type) ?? []) {
        const jobs = jobsByQueue.get(queue) ?? [];
        jobs.push(jobFor(event, queue));
        jobsByQueue.set(queue, jobs);
      }
    }
    const jobsDb = kyselyJobsDb(trx);
    const enqueued = new Map<string, number>();
    for (const [queue, jobs] of jobsByQueue) {
      await boss.insert(queue.name, jobs, { db: jobsDb });
      enqueued.set(queue.name, jobs.length);
    }
    return { published: [...events], failed: 0, enqueued };
  }

  /**
   * The careful path: each event under its own savepoint. An event whose fan-out fails is rolled
   * back alone, records the failure, and holds back the later events of its aggregate in this batch.
   */
  async function fanOutEachEvent(
    trx: Transaction<Database>,
    events: readonly ClaimedEvent[],
  ): Promise<FanOut> {
    const jobsDb = kyselyJobsDb(trx);
    const published: ClaimedEvent[] = [];
    const enqueued = new Map<string, number>();
    const heldBack = new Set<string>();
    let failed = 0;
    for (const event of events) {
      if (heldBack.has(aggregateKey(event))) continue;
      await sql`SAVEPOINT relay_event`.execute(trx);
      const queues = subscriptions.get(event.type) ?? [];
      try {
        for (const queue of queues) await boss.insert(queue.name, [jobFor(event, queue)], { db: jobsDb });
        await sql`RELEASE SAVEPOINT relay_event`.execute(trx);
        for (const queue of queues) enqueued.set(queue.name, (enqueued.get(queue.name) ?? 0) + 1);
        published.push(event);
      } catch (error) {
        await sql`ROLLBACK TO SAVEPOINT relay_event`.execute(trx);
        failed += 1;
        heldBack.add(aggregateKey(event));
        metrics?.failures.inc({ scope: 'event' });
        logger.warn(
          { err: error, eventId: event.id, type: event.type, attempts: event.attempts + 1 },
          'outbox event fan-out failed; its aggregate waits for the next attempt',
        );
        await sql`
          UPDATE outbox_events SET attempts = attempts + 1, last_error = ${errorText(error)}
          WHERE id = ${event.id}
        `.execute(trx);
      }
    }
    return { published, failed, enqueued };
  }

  async function recordFailure(events: readonly ClaimedEvent[], error: unknown): Promise<void> {
    if (events.length === 0) return;
    try {
      await sql`
        UPDATE outbox_events SET attempts = attempts + 1, last_error = ${errorText(error)}
        WHERE id = ANY(${events.map((e) => e.id)}::uuid[]) AND published_at IS NULL
      `.execute(db);
    } catch (recordError) {
      logger.warn({ err: recordError }, 'could not record the failed relay attempt');
    }
  }

  async function drain(): Promise<RelayBatchResult> {
    const total: RelayBatchResult = { claimed: 0, published: 0, deferred: 0, failed: 0 };
    for (;;) {
      const batch = await relayBatch();
      total.claimed += batch.claimed;
      total.published += batch.published;
      total.failed += batch.failed;
      total.deferred = batch.deferred;
      // Keep going while batches come back full and make progress; a failing event or a batch
      // entirely blocked behind another relay waits for the next wake instead of spinning.
      const more = batch.claimed === batchSize && batch.published > 0 && batch.failed === 0;
      if (!more || state === 'stopping' || state === 'stopped') return total;
    }
  }

  function wake(): void {
    if (state !== 'running') return;
    if (inFlight) {
      wakeAgain = true;
      return;
    }
    inFlight = (async () => {
      do {
        wakeAgain = false;
        try {
          const result = await drain();
          failureStreak = 0;
          // Deferred events wait on another relay's commit, which does not notify us: look again soon.
          if (result.deferred > 0) wakeIn(DEFER_RETRY_MS);
        } catch (error) {
          failureStreak += 1;
          const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failureStreak, 10));
          logger.error({ err: error, retryInMs: delay }, 'outbox relay batch failed');
          wakeIn(delay);
          wakeAgain = false;
        }
      } while (wakeAgain && state === 'running');
    })().finally(() => {
      inFlight = null;
    });
  }

  function wakeIn(ms: number): void {
    if (state !== 'running') return;
    clearTimeout(soonTimer);
    soonTimer = setTimeout(wake, ms);
    soonTimer.unref();
  }

  async function startListening(): Promise<void> {
    if (!listenConnectionString) return;
    listener = await startPgListener({
      connectionString: listenConnectionString,
      applicationName: 'atrium-outbox-relay',
      channels: [OUTBOX_CHANNEL],
      onNotification: () => wake(),
      // Anything committed while nobody listened was not announced to us.
      onListening: () => wake(),
      onLost: (error, retryInMs) =>
        logger.warn({ err: error, retryInMs }, 'outbox LISTEN connection lost; polling until it is back'),
    });
  }

  return {
    async start() {
      if (state !== 'idle') throw new Error(`relay cannot start from state ${state}`);
      state = 'running';
      pollTimer = setInterval(wake, pollIntervalMs);
      pollTimer.unref();
      await startListening();
      wake();
    },
    async stop() {
      if (state === 'idle') {
        state = 'stopped';
        return;
      }
      if (state !== 'running') return;
      state = 'stopping';
      clearInterval(pollTimer);
      clearTimeout(soonTimer);
      await listener?.stop();
      listener = null;
      await inFlight;
      state = 'stopped';
    },
    relayBatch,
    drain,
    wake,
    listening: () => listener?.listening() ?? false,
  };
}

function aggregateKey(event: Pick<ClaimedEvent, 'aggregate_type' | 'aggregate_id'>): string {
  return `${event.aggregate_type}:${event.aggregate_id}`;
}

function jobFor(event: ClaimedEvent, queue: QueueDefinition): JobInsert {
  return {
    id: outboxJobId(event, queue.name),
    data: envelopeOf(event),
    // key_strict_fifo keys on the aggregate: one job of an aggregate at a time, in order.
    // stately (coalesce) keys on it too: one waiting job per aggregate, the rest dropped on insert.
    ...(queue.ordered || queue.coalesce ? { singletonKey: aggregateKey(event) } : {}),
  };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 2_000);
}
