import type { z } from 'zod';

/**
 * The registry of outbox event types. Each type is declared once with the zod schema of its payload;
 * writers validate against it before a row reaches the outbox, and queues that subscribe to the type
 * validate the same shape again when a job arrives (see envelope.ts).
 *
 * Payload schemas describe JSON: the payload is stored as jsonb and read back by other processes, so a
 * schema must accept its own output (no transforms, no Date objects — ISO strings instead).
 */
export type EventPayloadSchema = z.ZodType<Record<string, unknown>>;

export interface EventDefinition<
  TType extends string = string,
  TSchema extends EventPayloadSchema = EventPayloadSchema,
> {
  readonly type: TType;
  readonly payload: TSchema;
}

/** The payload type of an event as stored and delivered (the schema's output). */
export type EventPayload<E extends EventDefinition> = z.output<E['payload']>;

const definitions = new Map<string, EventDefinition>();

/**
 * Declares an event type. Types are PascalCase past-tense facts (`OrgCreated`,
 * `CreatorApplicationApproved`) and unique across the codebase: declaring one twice is a mistake.
 */
export function defineEvent<const TType extends string, TSchema extends EventPayloadSchema>(
  type: TType,
  payload: TSchema,
): EventDefinition<TType, TSchema> {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(type)) {
    throw new Error(`event type "${type}" must be PascalCase (letters and digits, starting upper-case)`);
  }
  if (definitions.has(type)) throw new Error(`event type "${type}" is declared twice`);
  const definition: EventDefinition<TType, TSchema> = Object.freeze({ type, payload });
  definitions.set(type, definition);
  return definition;
}

/** The definition of a declared event type, or undefined when no loaded module declares it. */
export function findEventDefinition(type: string): EventDefinition | undefined {
  return definitions.get(type);
}

/** Every declared event type, for tools (Ops console filters, docs). */
export function listEventTypes(): string[] {
  return [...definitions.keys()].sort();
}
