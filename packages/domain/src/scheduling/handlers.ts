import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Clock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';
import type { RealtimePublisher } from '../realtime/port.ts';

/**
 * Schedule handlers: domain functions registered by name. A schedule row names its handler; the
 * scheduler looks the name up in its registry when an occurrence runs. The API checks names (and
 * payloads, when the handler declares a schema) against the same catalogue before a schedule is saved.
 */
export interface ScheduleHandlerContext {
  scheduleId: string;
  scheduleName: string;
  payload: Record<string, unknown>;
  /**
   * Aborted when the run exceeds `max_runtime_seconds`, when the scheduler shuts down past its grace
   * period, or when this replica lost the schedule's lease. Pass it on (fetch, queries) and stop early.
   */
  signal: AbortSignal;
  /** The slot this occurrence stands for (not when it started). */
  scheduledFor: Date;
  attempt: number;
  logger: LogSink;
  /**
   * This run's database, on the scheduler's handler connections: when the run is aborted, its
   * statements in flight are cancelled and new ones refused (docs/scheduler.md).
   */
  db: Kysely<Database>;
  clock: Clock;
  /** Live events to the API's subscribers (SPEC §2): the scheduler process's Redis or NOTIFY publisher. */
  realtime: RealtimePublisher;
}

/** What a handler returns is stored as the run's `result` (keep it small: counts, ids, a summary). */
export type ScheduleHandlerResult = Record<string, unknown> | undefined;
// biome-ignore lint/suspicious/noConfusingVoidType: a handler may simply return nothing.
export type ScheduleHandlerFn = (ctx: ScheduleHandlerContext) => Promise<ScheduleHandlerResult | void>;

export interface ScheduleHandlerDefinition {
  name: string;
  description?: string;
  /** Validates the schedule's payload when it is created or updated (400 with field errors). */
  payload?: z.ZodType<Record<string, unknown>>;
  run: ScheduleHandlerFn;
}

export interface ScheduleHandlerRegistry {
  get(name: string): ScheduleHandlerDefinition | undefined;
  has(name: string): boolean;
  names(): string[];
}

/** Handler names: lower-case words joined by dots or dashes, e.g. `maintenance.event-retention`. */
export const SCHEDULE_HANDLER_NAME = /^[a-z][a-z0-9]*([.-][a-z0-9]+)*$/;

interface MutableRegistry extends ScheduleHandlerRegistry {
  readonly definitions: Map<string, ScheduleHandlerDefinition>;
}

export function createScheduleHandlerRegistry(
  definitions: Iterable<ScheduleHandlerDefinition> = [],
): ScheduleHandlerRegistry {
  const map = new Map<string, ScheduleHandlerDefinition>();
  const registry: MutableRegistry = {
    definitions: map,
    get: (name) => map.get(name),
    has: (name) => map.has(name),
    names: () => [...map.keys()].sort(),
  };
  for (const definition of definitions) {
    registerScheduleHandler(registry, definition.name, definition.run, definition);
  }
  return registry;
}

/** Adds a handler. Registering a name twice is a programming error and throws. */
export function registerScheduleHandler(
  registry: ScheduleHandlerRegistry,
  name: string,
  run: ScheduleHandlerFn,
  options: Omit<ScheduleHandlerDefinition, 'name' | 'run'> = {},
): void {
  const map = (registry as Partial<MutableRegistry>).definitions;
  if (!map)
    throw new Error('registerScheduleHandler: registry was not created by createScheduleHandlerRegistry');
  if (!SCHEDULE_HANDLER_NAME.test(name)) throw new Error(`schedule handler name "${name}" is not valid`);
  if (map.has(name)) throw new Error(`schedule handler "${name}" is registered twice`);
  const definition: ScheduleHandlerDefinition = { name, run };
  if (options.description !== undefined) definition.description = options.description;
  if (options.payload !== undefined) definition.payload = options.payload;
  map.set(name, Object.freeze(definition));
}
