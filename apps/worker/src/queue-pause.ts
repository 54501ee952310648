import type { Database } from '@atrium/db';
import { type PgListener, startPgListener } from '@atrium/db/listener';
import { QUEUE_CONTROLS_CHANNEL, readPausedQueues } from '@atrium/domain/ops/controls';
import { createLogger, type Logger } from '@atrium/observability';
import type { Kysely } from 'kysely';
import type { QueueWorkers } from './queues.ts';

/**
 * Makes the worker honour queue pauses (SPEC §8, docs/ops.md). The truth is `queue_controls`; this
 * follows it: a dedicated `LISTEN atrium_queue_controls` session wakes it on every committed pause
 * or resume, and a poll every `pollMs` is the safety net (and the only trigger while LISTEN is
 * down). A paused queue's pg-boss worker is stopped (`offWork`, letting its jobs in flight finish),
 * so nothing of that queue is fetched; jobs keep arriving and wait in pg-boss. On resume the worker
 * starts again and drains them. Nothing is failed, retried or dropped by a pause.
 */
export interface QueuePauseFollower {
  /** Paused queues as last read. */
  paused(): ReadonlySet<string>;
  /** Reads the controls now and applies them (resolves once every transition has finished). */
  sync(): Promise<void>;
  listening(): boolean;
  /** Stops following; the queues stay as they are (pg-boss's stop ends their workers). */
  stop(): Promise<void>;
}

export interface FollowQueuePausesOptions {
  db: Kysely<Database>;
  workers: QueueWorkers;
  /** Connection for the dedicated LISTEN session; without it pauses are only polled. */
  listenConnectionString?: string;
  pollMs?: number;
  logger?: Logger;
}

/**
 * Reads the controls, starts every queue that is not paused, and follows changes from then on. The
 * first read happens before any queue starts, so a queue paused while no worker ran is never fetched.
 */
export async function followQueuePauses(options: FollowQueuePausesOptions): Promise<QueuePauseFollower> {
  const { db, workers, listenConnectionString } = options;
  const pollMs = options.pollMs ?? 2_000;
  const logger = options.logger ?? createLogger({ name: 'queue-pause', level: 'silent' });

  let state: 'running' | 'stopped' = 'running';
  let paused = new Set<string>();
  /** Per queue: the transition in flight, so start/stop of one queue never overlap. */
  const transitions = new Map<string, Promise<void>>();
  let syncing: Promise<void> | null = null;
  let syncAgain = false;
  let listener: PgListener | null = null;

  function apply(name: string, shouldRun: boolean): Promise<void> {
    const previous = transitions.get(name) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (state !== 'running' && shouldRun) return;
      if (shouldRun === workers.isRunning(name)) return;
      if (shouldRun) {
        await workers.start(name);
        logger.info({ queue: name }, 'queue resumed: fetching again');
      } else {
        logger.info({ queue: name }, 'queue paused: stopping its worker (jobs in flight finish)');
        await workers.stop(name);
      }
    });
    const settled = next.catch((error: unknown) => {
      logger.error({ err: error, queue: name }, 'could not apply a queue pause or resume');
    });
    transitions.set(name, settled);
    return settled;
  }

  async function readAndApply(): Promise<void> {
    paused = new Set((await readPausedQueues(db)).keys());
    await Promise.all(workers.names.map((name) => apply(name, !paused.has(name))));
  }

  function sync(): Promise<void> {
    if (state !== 'running') return Promise.resolve();
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        syncAgain = false;
        try {
          await readAndApply();
        } catch (error) {
          logger.error({ err: error }, 'could not read queue controls; keeping the current state');
        }
      } while (syncAgain && state === 'running');
    })().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  // The first read must succeed: starting queues blind could run a paused one.
  await readAndApply();
  const pollTimer = setInterval(() => void sync(), pollMs);
  pollTimer.unref();
  if (listenConnectionString) {
    listener = await startPgListener({
      connectionString: listenConnectionString,
      applicationName: 'atrium-queue-controls',
      channels: [QUEUE_CONTROLS_CHANNEL],
      onNotification: () => void sync(),
      // A change committed while nobody listened was not announced to us.
      onListening: () => void sync(),
      onLost: (error, retryInMs) =>
        logger.warn({ err: error, retryInMs }, 'queue controls LISTEN lost; polling until it is back'),
    });
  }

  return {
    paused: () => paused,
    sync,
    listening: () => listener?.listening() ?? false,
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      clearInterval(pollTimer);
      await listener?.stop();
      listener = null;
      await syncing;
      await Promise.all(transitions.values());
    },
  };
}
