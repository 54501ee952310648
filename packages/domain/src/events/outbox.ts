import type { Database } from '@atrium/db';
import { sql, type Transaction } from 'kysely';
import { AppError } from '../errors.ts';
import { type EventDefinition, type EventPayload, findEventDefinition } from './registry.ts';

/** The channel a committed outbox write wakes relays on (NOTIFY is delivered only on commit). */
export const OUTBOX_CHANNEL = 'atrium_outbox';

export interface OutboxEventInput<E extends EventDefinition = EventDefinition> {
  /** The tenant the event belongs to; null for platform-level events. */
  orgId: string | null;
  /** The event's definition (typed payload) or its registered type name. */
  type: E | E['type'];
  /** What the event is about, e.g. `creator_application` + its id. Order is kept per aggregate. */
  aggregateType: string;
  aggregateId: string;
  payload: EventPayload<E>;
}

export interface WrittenOutboxEvent {
  id: string;
  seq: string;
  createdAt: Date;
}

/**
 * Records an event in the outbox inside the caller's transaction, so it exists if and only if the
 * state change it describes commits (SPEC §2: never publish after commit from request code).
 *
 * The payload is validated against the event's schema first: a payload that does not match is a bug
 * in the writer, not bad user input, so it fails the whole unit of work as an INTERNAL error.
 *
 * Ordering: events of one aggregate are relayed in `seq` order. That is their commit order only when
 * writers of one aggregate serialise — lock or update the aggregate's row before writing its event,
 * which every use case that changes an aggregate does anyway (see docs/events.md).
 */
export async function writeOutboxEvent<E extends EventDefinition>(
  trx: Transaction<Database>,
  input: OutboxEventInput<E>,
): Promise<WrittenOutboxEvent> {
  if (!trx.isTransaction) {
    throw new AppError('INTERNAL', 'writeOutboxEvent must run inside the transaction of the state change');
  }
  const definition = typeof input.type === 'string' ? findEventDefinition(input.type) : input.type;
  if (!definition) throw new AppError('INTERNAL', `unknown event type "${String(input.type)}"`);
  const parsed = definition.payload.safeParse(input.payload);
  if (!parsed.success) {
    throw new AppError('INTERNAL', `invalid payload for event ${definition.type}`, {
      details: {
        eventType: definition.type,
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    });
  }
  const row = await trx
    .insertInto('outbox_events')
    .values({
      org_id: input.orgId,
      type: definition.type,
      aggregate_type: input.aggregateType,
      aggregate_id: input.aggregateId,
      // Serialised here rather than by the driver, which would turn a top-level array into a
      // PostgreSQL array literal.
      payload: JSON.stringify(parsed.data),
    })
    .returning(['id', 'seq', 'created_at'])
    .executeTakeFirstOrThrow();
  // One notification per transaction however many events it writes: PostgreSQL folds identical
  // notifications raised in one transaction.
  await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
  return { id: row.id, seq: row.seq, createdAt: row.created_at };
}
