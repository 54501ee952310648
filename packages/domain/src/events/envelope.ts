import { z } from 'zod';
import type { EventDefinition } from './registry.ts';

/**
 * What a subscriber queue receives for one outbox event: the event's identity and position, and its
 * payload. The relay builds it from the outbox row; `eventId` is what consumers record in the inbox.
 */
export interface EventEnvelope<TType extends string = string, TPayload = unknown> {
  eventId: string;
  /** The outbox sequence number (a bigint, as a decimal string). Orders events of one aggregate. */
  seq: string;
  type: TType;
  orgId: string | null;
  aggregateType: string;
  aggregateId: string;
  /** When the event was written (the outbox row's created_at), ISO-8601. */
  occurredAt: string;
  payload: TPayload;
}

/** The envelope of a stored outbox event: what the relay sends to each subscriber queue. */
export function envelopeOf(event: {
  id: string;
  seq: string;
  type: string;
  org_id: string | null;
  aggregate_type: string;
  aggregate_id: string;
  payload: unknown;
  created_at: Date;
}): EventEnvelope {
  return {
    eventId: event.id,
    seq: event.seq,
    type: event.type,
    orgId: event.org_id,
    aggregateType: event.aggregate_type,
    aggregateId: event.aggregate_id,
    occurredAt: event.created_at.toISOString(),
    payload: event.payload,
  };
}

const envelopeFields = {
  eventId: z.uuid(),
  seq: z.string().regex(/^\d+$/),
  orgId: z.uuid().nullable(),
  aggregateType: z.string().min(1),
  aggregateId: z.string().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
};

/** Any envelope, payload unchecked: for tools that handle every event type alike. */
export const ZEventEnvelope: z.ZodType<EventEnvelope> = z.object({
  ...envelopeFields,
  type: z.string().min(1),
  payload: z.unknown(),
});

export type EnvelopeOf<E extends EventDefinition> =
  E extends EventDefinition<infer TType, infer TSchema> ? EventEnvelope<TType, z.output<TSchema>> : never;

/**
 * The job payload schema of a queue subscribed to `events`: an envelope whose payload is validated
 * against the schema of its own type, typed as the union of those envelopes (narrow on `type`).
 */
export function eventEnvelope<const E extends readonly [EventDefinition, ...EventDefinition[]]>(
  ...events: E
): z.ZodType<EnvelopeOf<E[number]>> {
  const variants = events.map((event) =>
    z.object({ ...envelopeFields, type: z.literal(event.type), payload: event.payload }),
  );
  const [first, ...rest] = variants;
  if (!first) throw new Error('eventEnvelope() needs at least one event definition');
  const schema = rest.length === 0 ? first : z.discriminatedUnion('type', [first, ...rest]);
  // The runtime schema is exactly the union of the mapped variants; zod cannot infer a union from a
  // mapped tuple, so the static type is stated here once.
  return schema as unknown as z.ZodType<EnvelopeOf<E[number]>>;
}
