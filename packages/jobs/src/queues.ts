import type { QueueCatalogue, QueueDefinition } from '@atrium/domain/events/queue-definition';
import type { PgBoss, Queue, QueueResult } from 'pg-boss';

/** Dead letters wait for an operator (redrive or delete) for a month before pg-boss drops them. */
export const DEAD_LETTER_RETENTION_SECONDS = 30 * 24 * 60 * 60;

type QueueSettings = Omit<Queue, 'name'>;

/**
 * Workers refresh each running job's heartbeat every 5 s (pg-boss: half of this); a job whose
 * heartbeat is this old belongs to a worker that died (SIGKILL, OOM, a lost machine) and is failed
 * — so retried — at pg-boss's next monitor pass (`createBoss`: every 30 s), instead of waiting out
 * its `expireInSeconds` (minutes, sized for the slowest honest run). 10 is pg-boss's minimum.
 */
export const JOB_HEARTBEAT_SECONDS = 10;

/** The pg-boss settings a catalogue entry stands for. */
export function queueSettings(queue: QueueDefinition): QueueSettings {
  return {
    policy: queue.ordered ? 'key_strict_fifo' : queue.coalesce ? 'stately' : 'standard',
    retryLimit: queue.retryLimit,
    retryDelay: queue.retryDelaySeconds,
    retryBackoff: queue.retryBackoff,
    ...(queue.retryDelayMaxSeconds === null ? {} : { retryDelayMax: queue.retryDelayMaxSeconds }),
    expireInSeconds: queue.expireInSeconds,
    heartbeatSeconds: JOB_HEARTBEAT_SECONDS,
    deadLetter: queue.deadLetter,
    // Wake workers through NOTIFY when a job lands (the relay inserts in its own transaction, so
    // the notification is delivered on its commit).
    notify: true,
  };
}

/** A dead-letter queue: nothing retries there, jobs wait for an operator. */
export function deadLetterSettings(): QueueSettings {
  return {
    policy: 'standard',
    retryLimit: 0,
    retentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    expireInSeconds: 900,
  };
}

/**
 * Creates every queue of the catalogue and its dead-letter queue, or brings an existing one's
 * settings up to date. Safe to run from every process on every start: pg-boss serialises queue
 * creation under an advisory lock. A policy cannot change on an existing queue (pg-boss keeps
 * per-policy indexes), so turning `ordered` on or off for a live queue is refused with an error
 * naming the queue: drain it, delete it, and let the next start recreate it.
 */
export async function ensureQueues(boss: PgBoss, catalogue: QueueCatalogue): Promise<void> {
  const queues = Object.values(catalogue);
  const existing = new Map<string, QueueResult>(
    (await boss.getQueues()).map((queue): [string, QueueResult] => [queue.name, queue]),
  );
  const deadLetters = [...new Set(queues.map((queue) => queue.deadLetter))];
  for (const name of deadLetters) {
    await createOrUpdate(boss, existing, name, deadLetterSettings());
  }
  for (const queue of queues) {
    await createOrUpdate(boss, existing, queue.name, queueSettings(queue));
  }
}

async function createOrUpdate(
  boss: PgBoss,
  existing: Map<string, QueueResult>,
  name: string,
  settings: QueueSettings,
): Promise<void> {
  const current = existing.get(name);
  if (!current) {
    await boss.createQueue(name, settings);
    return;
  }
  const { policy, partition: _partition, ...updatable } = settings;
  if ((current.policy ?? 'standard') !== policy) {
    throw new Error(
      `queue "${name}" exists with policy "${current.policy}" but the catalogue declares "${policy}"; ` +
        'a queue policy cannot change in place: drain and delete the queue, then restart',
    );
  }
  await boss.updateQueue(name, {
    ...updatable,
    // Absent in the catalogue means "no limit", which pg-boss spells null on update.
    retryDelayMax: settings.retryDelayMax ?? null,
  });
}
