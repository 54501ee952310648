import { NotFoundError, ValidationError } from '../errors.ts';
import type { QueueCatalogue } from '../events/catalogue.ts';

/** A queue as the console lists it: a catalogued queue or a dead-letter queue. */
export interface OpsQueueInfo {
  name: string;
  kind: 'queue' | 'dead_letter';
  /** A queue's dead-letter queue; null for a dead-letter queue. */
  deadLetter: string | null;
  /** A dead-letter queue's source queues; empty for a queue. */
  sources: string[];
  /** Per-aggregate strict order (pg-boss key_strict_fifo). */
  ordered: boolean;
  retryLimit: number;
  /** Outbox event types the queue receives (it is an inbox consumer when non-empty). */
  events: string[];
}

/** Every queue of the catalogue, each followed by its dead-letter queue (listed once). */
export function opsQueueInfos(catalogue: QueueCatalogue): OpsQueueInfo[] {
  const infos: OpsQueueInfo[] = [];
  const deadLetters = new Map<string, OpsQueueInfo>();
  for (const queue of Object.values(catalogue)) {
    infos.push({
      name: queue.name,
      kind: 'queue',
      deadLetter: queue.deadLetter,
      sources: [],
      ordered: queue.ordered,
      retryLimit: queue.retryLimit,
      events: [...queue.subscribesTo],
    });
    let deadLetter = deadLetters.get(queue.deadLetter);
    if (!deadLetter) {
      deadLetter = {
        name: queue.deadLetter,
        kind: 'dead_letter',
        deadLetter: null,
        sources: [],
        ordered: false,
        retryLimit: 0,
        events: [],
      };
      deadLetters.set(queue.deadLetter, deadLetter);
      infos.push(deadLetter);
    }
    deadLetter.sources.push(queue.name);
  }
  return infos;
}

/** A queue the console knows, or 404 (a name outside the catalogue is not ours to touch). */
export function findOpsQueue(catalogue: QueueCatalogue, name: string): OpsQueueInfo {
  const info = opsQueueInfos(catalogue).find((q) => q.name === name);
  if (!info) throw new NotFoundError('Queue');
  return info;
}

export function findDeadLetterQueue(catalogue: QueueCatalogue, name: string): OpsQueueInfo {
  const info = findOpsQueue(catalogue, name);
  if (info.kind !== 'dead_letter') {
    throw new ValidationError(`${name} is not a dead-letter queue`, {
      deadLetterQueue: ['must name a dead-letter queue'],
    });
  }
  return info;
}
