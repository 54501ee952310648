import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineCatalogue,
  defineEvent,
  defineEventQueue,
  defineQueue,
  eventEnvelope,
  QUEUE_DEFAULTS,
  queueCatalogue,
  subscriptionsByEventType,
} from '../../src/index.ts';

const ThingCreated = defineEvent('ThingCreated', z.object({ thingId: z.string() }));
const ThingDeleted = defineEvent('ThingDeleted', z.object({ thingId: z.string(), reason: z.string() }));

const envelope = (type: string, payload: unknown) => ({
  eventId: crypto.randomUUID(),
  seq: '42',
  type,
  orgId: null,
  aggregateType: 'thing',
  aggregateId: 't-1',
  occurredAt: new Date().toISOString(),
  payload,
});

describe('events and queues', () => {
  it('refuses a type declared twice or not PascalCase', () => {
    expect(() => defineEvent('ThingCreated', z.object({}))).toThrow(/declared twice/);
    expect(() => defineEvent('thing.created', z.object({}))).toThrow(/PascalCase/);
  });

  it('validates envelopes per event type', () => {
    const schema = eventEnvelope(ThingCreated, ThingDeleted);
    expect(schema.safeParse(envelope('ThingCreated', { thingId: 'a' })).success).toBe(true);
    expect(schema.safeParse(envelope('ThingDeleted', { thingId: 'a' })).success).toBe(false);
    expect(schema.safeParse(envelope('SomethingElse', { thingId: 'a' })).success).toBe(false);
    expect(schema.safeParse({ ...envelope('ThingCreated', { thingId: 'a' }), seq: 'x' }).success).toBe(false);
  });

  it('fills queue defaults and derives the dead-letter queue', () => {
    const queue = defineQueue({ name: 'things.index', payload: z.object({ id: z.string() }) });
    expect(queue).toMatchObject({
      ...QUEUE_DEFAULTS,
      deadLetter: 'things.index.dead-letter',
      subscribesTo: [],
      ordered: false,
    });
  });

  it('builds event queues and the subscription map', () => {
    const catalogue = defineCatalogue(
      defineEventQueue({ name: 'things.audit', events: [ThingCreated, ThingDeleted], ordered: true }),
      defineEventQueue({ name: 'things.notify', events: [ThingDeleted] }),
    );
    expect(catalogue['things.audit'].subscribesTo).toEqual(['ThingCreated', 'ThingDeleted']);
    const subscriptions = subscriptionsByEventType(catalogue);
    expect(subscriptions.get('ThingDeleted')?.map((q) => q.name)).toEqual(['things.audit', 'things.notify']);
    expect(subscriptions.get('ThingCreated')?.map((q) => q.name)).toEqual(['things.audit']);
  });

  it('refuses invalid or clashing queues', () => {
    const payload = z.object({});
    expect(() => defineQueue({ name: 'bad name', payload })).toThrow(/name may only contain/);
    expect(() => defineQueue({ name: 'q', payload, retryDelaySeconds: 0.5 })).toThrow(/retryDelaySeconds/);
    expect(() => defineQueue({ name: 'q', payload, deadLetter: 'q' })).toThrow(/cannot be the queue itself/);
    const a = defineQueue({ name: 'a', payload });
    expect(() => defineCatalogue(a, defineQueue({ name: 'a', payload }))).toThrow(/declared twice/);
    expect(() => defineCatalogue(a, defineQueue({ name: 'b', payload, deadLetter: 'a' }))).toThrow(
      /is itself a catalogued queue/,
    );
  });

  it('declares the application catalogue with valid policies', () => {
    for (const queue of Object.values(queueCatalogue)) {
      expect(queue.deadLetter).not.toBe(queue.name);
      expect(queue.retryLimit).toBeGreaterThanOrEqual(0);
    }
    expect(Object.keys(queueCatalogue)).toContain('ops.pipeline-probe');
  });
});
