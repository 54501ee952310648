import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { EventEnvelope } from './envelope.ts';
import { consumeOnce } from './inbox.ts';
import { writeOutboxEvent } from './outbox.ts';
import { defineEvent, type EventPayload } from './registry.ts';

/**
 * The events backbone's own canary: an event that travels outbox → relay → queue → worker and is
 * acknowledged in the inbox. Ops uses it to prove the whole path end to end, and its inbox row
 * (processed_at − the event's created_at) is the commit-to-handler latency of SPEC §13.
 */
export const PipelineProbeRequested = defineEvent(
  'PipelineProbeRequested',
  z.object({
    probeId: z.uuid(),
    requestedAt: z.iso.datetime({ offset: true }),
  }),
);

export type PipelineProbePayload = EventPayload<typeof PipelineProbeRequested>;

export const PIPELINE_PROBE_AGGREGATE = 'pipeline_probe';

/** Writes a probe event in the caller's transaction; it reaches the worker once that commits. */
export async function requestPipelineProbe(
  trx: Transaction<Database>,
  input: { orgId?: string | null; probeId?: string } = {},
): Promise<{ probeId: string; eventId: string }> {
  const probeId = input.probeId ?? crypto.randomUUID();
  const written = await writeOutboxEvent(trx, {
    orgId: input.orgId ?? null,
    type: PipelineProbeRequested,
    aggregateType: PIPELINE_PROBE_AGGREGATE,
    aggregateId: probeId,
    payload: { probeId, requestedAt: new Date().toISOString() },
  });
  return { probeId, eventId: written.id };
}

/**
 * Acknowledges a probe exactly once per consumer. Returns how long the event took from its write to
 * this acknowledgement, or `processed: false` for a redelivery.
 */
export async function acknowledgePipelineProbe(
  deps: { db: Kysely<Database> },
  input: { consumer: string; event: EventEnvelope<'PipelineProbeRequested', PipelineProbePayload> },
): Promise<{ processed: boolean; latencySeconds: number }> {
  const outcome = await consumeOnce(
    deps.db,
    { consumer: input.consumer, eventId: input.event.eventId },
    async () => {
      return (Date.now() - Date.parse(input.event.occurredAt)) / 1000;
    },
  );
  return outcome.processed
    ? { processed: true, latencySeconds: outcome.result }
    : { processed: false, latencySeconds: (Date.now() - Date.parse(input.event.occurredAt)) / 1000 };
}
