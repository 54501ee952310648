import type { Database } from '@atrium/db';
import { type EnvelopeOf, type EventEnvelope, envelopeOf } from '@atrium/domain/events/envelope';
import type { EventDefinition, EventPayload } from '@atrium/domain/events/registry';
import type { Kysely } from 'kysely';

/**
 * The newest outbox event of this type — about `aggregateId`, and/or whose payload `matches` — as the
 * relay delivers it to a subscriber queue (`envelopeOf`). For tests that hand an event to a consumer
 * themselves. Throws when there is none.
 */
export async function outboxEnvelope<E extends EventDefinition>(
  db: Kysely<Database>,
  event: E,
  filter: { aggregateId?: string; matches?: (payload: EventPayload<E>) => boolean } = {},
): Promise<EnvelopeOf<E>> {
  let query = db
    .selectFrom('outbox_events')
    .selectAll()
    .where('type', '=', event.type)
    .orderBy('seq', 'desc');
  if (filter.aggregateId !== undefined) query = query.where('aggregate_id', '=', filter.aggregateId);
  const rows = await query.execute();
  const row = filter.matches
    ? rows.find((candidate) => filter.matches?.(candidate.payload as EventPayload<E>))
    : rows[0];
  if (!row) throw new Error(`no ${event.type} event in the outbox matching ${JSON.stringify(filter)}`);
  return envelopeOf(row) as EnvelopeOf<E>;
}

/**
 * An envelope that never went through the outbox, for a job sent to a queue directly (a fresh event
 * id, seq 1, now). The payload is typed by the event but not validated: a test may hand a queue a
 * payload its schema refuses (to see the job dead-lettered, or searched for by a readable marker).
 */
export function testEnvelope<E extends EventDefinition>(
  event: E,
  payload: EventPayload<E>,
  fields: { orgId?: string | null; aggregateType?: string; aggregateId?: string } = {},
): EnvelopeOf<E> {
  const envelope: EventEnvelope<E['type'], EventPayload<E>> = {
    eventId: crypto.randomUUID(),
    seq: '1',
    type: event.type,
    orgId: fields.orgId ?? null,
    aggregateType: fields.aggregateType ?? 'test',
    aggregateId: fields.aggregateId ?? crypto.randomUUID(),
    occurredAt: new Date().toISOString(),
    payload,
  };
  // EnvelopeOf<E> is this very shape, written as a conditional type TypeScript cannot see through.
  return envelope as unknown as EnvelopeOf<E>;
}
