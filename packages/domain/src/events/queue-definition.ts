import type { z } from 'zod';
import { type EnvelopeOf, eventEnvelope } from './envelope.ts';
import type { EventDefinition } from './registry.ts';

/**
 * A background queue, declared once (ARCHITECTURE principle 7): its name, the zod schema of its job
 * payload, its retry/backoff/expiry policy, its dead-letter queue, and the outbox event types it
 * receives. The pg-boss adapter (`@atrium/jobs`) turns this into queue settings; the worker binds a
 * handler to every entry; the relay fans events out by `subscribesTo`. Nothing here knows pg-boss.
 */
export interface QueueDefinition<TName extends string = string, TPayload extends z.ZodType = z.ZodType> {
  readonly name: TName;
  /** Validated on every job before the handler runs; a job that fails it goes to the dead letter. */
  readonly payload: TPayload;
  /** Retries after the first attempt; the job is dead-lettered after `retryLimit + 1` failures. */
  readonly retryLimit: number;
  /** Base delay; with backoff the n-th retry waits `retryDelaySeconds · 2^(n-1) · (1 + jitter)`. */
  readonly retryDelaySeconds: number;
  /** Exponential backoff with jitter (pg-boss `retryBackoff`). */
  readonly retryBackoff: boolean;
  /** Upper bound of one retry delay; null = unbounded. */
  readonly retryDelayMaxSeconds: number | null;
  /** How long one attempt may run before it counts as failed. */
  readonly expireInSeconds: number;
  /** Where a job goes when its retries are exhausted (or its payload is invalid). */
  readonly deadLetter: string;
  /** Outbox event types fanned out to this queue, one job per event. */
  readonly subscribesTo: readonly string[];
  /**
   * Jobs with the same key (the event's aggregate) run one at a time, in outbox order (pg-boss
   * `key_strict_fifo`). A dead-lettered job then holds its aggregate back until it is redriven or
   * deleted: strict order is chosen over progress.
   */
  readonly ordered: boolean;
  /**
   * At most one waiting job per aggregate (pg-boss `stately`, keyed like `ordered`): an event whose
   * aggregate already has a job waiting to run is dropped by the relay, because that job, when it
   * runs, will do the work the event asks for. One job may run while another waits, so a change made
   * during a run is never lost. For handlers that read current state rather than the event (the AIMS
   * article sync). Exclusive with `ordered`.
   */
  readonly coalesce: boolean;
}

/** Any catalogue: queue name → definition. Tests pass their own. */
export type QueueCatalogue = Readonly<Record<string, QueueDefinition>>;

export type QueuePayload<Q extends QueueDefinition> = z.output<Q['payload']>;

export interface QueueOptions<TName extends string, TPayload extends z.ZodType> {
  name: TName;
  payload: TPayload;
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  retryDelayMaxSeconds?: number | null;
  expireInSeconds?: number;
  deadLetter?: string;
  /** Event definitions rather than names, so a typo cannot silently subscribe to nothing. */
  subscribesTo?: readonly EventDefinition[];
  ordered?: boolean;
  coalesce?: boolean;
}

/** Defaults for a queue that says nothing: five retries from 5 s doubling up to 10 min, 5 min per attempt. */
export const QUEUE_DEFAULTS = {
  retryLimit: 5,
  retryDelaySeconds: 5,
  retryBackoff: true,
  retryDelayMaxSeconds: 600,
  expireInSeconds: 300,
} as const;

// pg-boss's own rule for queue names; checked here so a bad name fails at definition, not at boot.
const QUEUE_NAME = /^[\w.\-/]+$/;

export function deadLetterNameFor(queueName: string): string {
  return `${queueName}.dead-letter`;
}

export function defineQueue<const TName extends string, TPayload extends z.ZodType>(
  options: QueueOptions<TName, TPayload>,
): QueueDefinition<TName, TPayload> {
  const definition: QueueDefinition<TName, TPayload> = Object.freeze({
    name: options.name,
    payload: options.payload,
    retryLimit: options.retryLimit ?? QUEUE_DEFAULTS.retryLimit,
    retryDelaySeconds: options.retryDelaySeconds ?? QUEUE_DEFAULTS.retryDelaySeconds,
    retryBackoff: options.retryBackoff ?? QUEUE_DEFAULTS.retryBackoff,
    retryDelayMaxSeconds:
      options.retryDelayMaxSeconds === undefined
        ? QUEUE_DEFAULTS.retryDelayMaxSeconds
        : options.retryDelayMaxSeconds,
    expireInSeconds: options.expireInSeconds ?? QUEUE_DEFAULTS.expireInSeconds,
    deadLetter: options.deadLetter ?? deadLetterNameFor(options.name),
    subscribesTo: Object.freeze([...new Set((options.subscribesTo ?? []).map((event) => event.type))]),
    ordered: options.ordered ?? false,
    coalesce: options.coalesce ?? false,
  });
  assertValidQueue(definition);
  return definition;
}

/**
 * A queue that receives outbox events: subscribes to `events` and takes their envelopes as payload,
 * each validated against its own event's schema.
 */
export function defineEventQueue<
  const TName extends string,
  const E extends readonly [EventDefinition, ...EventDefinition[]],
>(
  options: Omit<QueueOptions<TName, z.ZodType>, 'payload' | 'subscribesTo'> & { events: E },
): QueueDefinition<TName, z.ZodType<EnvelopeOf<E[number]>>> {
  const { events, ...rest } = options;
  return defineQueue({ ...rest, payload: eventEnvelope(...events), subscribesTo: events });
}

export type CatalogueOf<Q extends readonly QueueDefinition[]> = {
  readonly [D in Q[number] as D['name']]: D;
};

/** Collects queue definitions into a catalogue keyed by name, refusing duplicates and clashes. */
export function defineCatalogue<const Q extends readonly QueueDefinition[]>(...queues: Q): CatalogueOf<Q> {
  const catalogue: Record<string, QueueDefinition> = {};
  for (const queue of queues) {
    if (catalogue[queue.name]) throw new Error(`queue "${queue.name}" is declared twice`);
    catalogue[queue.name] = queue;
  }
  for (const queue of queues) {
    if (catalogue[queue.deadLetter]) {
      throw new Error(
        `dead-letter queue "${queue.deadLetter}" of "${queue.name}" is itself a catalogued queue`,
      );
    }
  }
  return Object.freeze(catalogue) as CatalogueOf<Q>;
}

/** Event type → the queues subscribed to it, for the relay's fan-out. */
export function subscriptionsByEventType(
  catalogue: QueueCatalogue,
): ReadonlyMap<string, readonly QueueDefinition[]> {
  const map = new Map<string, QueueDefinition[]>();
  for (const queue of Object.values(catalogue)) {
    for (const type of queue.subscribesTo) {
      const list = map.get(type) ?? [];
      list.push(queue);
      map.set(type, list);
    }
  }
  return map;
}

function assertValidQueue(queue: QueueDefinition): void {
  const problems: string[] = [];
  if (!QUEUE_NAME.test(queue.name)) problems.push('name may only contain letters, digits, _ . - /');
  if (!QUEUE_NAME.test(queue.deadLetter))
    problems.push('deadLetter may only contain letters, digits, _ . - /');
  if (queue.deadLetter === queue.name) problems.push('deadLetter cannot be the queue itself');
  if (queue.ordered && queue.coalesce) problems.push('a queue cannot be both ordered and coalesced');
  const integers: Array<[string, number | null, number]> = [
    ['retryLimit', queue.retryLimit, 0],
    ['retryDelaySeconds', queue.retryDelaySeconds, 0],
    ['retryDelayMaxSeconds', queue.retryDelayMaxSeconds, 1],
    ['expireInSeconds', queue.expireInSeconds, 1],
  ];
  for (const [field, value, min] of integers) {
    if (value !== null && (!Number.isInteger(value) || value < min)) {
      problems.push(`${field} must be an integer ≥ ${min} (got ${value})`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid queue "${queue.name}": ${problems.join('; ')}`);
}
