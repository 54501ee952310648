import { CONTENT_QUEUES } from '../content/queues.ts';
import { CREATOR_QUEUES } from '../creators/queues.ts';
import { IDENTITY_QUEUES } from '../identity/queues.ts';
import { incidentNoticeQueue } from '../logging/incidents.ts';
import { notificationsDispatchQueue } from '../notifications/queue.ts';
import { scheduleQuarantineNoticeQueue } from '../scheduling/quarantine-notice.ts';
import { WORKPLACE_QUEUES } from '../workplace/queues.ts';
import { PipelineProbeRequested } from './pipeline-probe.ts';
import { defineCatalogue, defineEventQueue } from './queue-definition.ts';

export {
  type CatalogueOf,
  deadLetterNameFor,
  defineCatalogue,
  defineEventQueue,
  defineQueue,
  QUEUE_DEFAULTS,
  type QueueCatalogue,
  type QueueDefinition,
  type QueueOptions,
  type QueuePayload,
  subscriptionsByEventType,
} from './queue-definition.ts';

/**
 * Every queue Atrium runs, declared once. The worker binds a handler to each entry (TypeScript refuses
 * a catalogue entry without one), `@atrium/jobs` creates each queue and its dead-letter queue with
 * this policy, and the outbox relay fans events out by `subscribesTo`. Features add their queues here.
 */
export const queueCatalogue = defineCatalogue(
  defineEventQueue({
    name: 'ops.pipeline-probe',
    events: [PipelineProbeRequested],
    // A probe that cannot be acknowledged within a minute has told Ops what it needed to.
    retryLimit: 3,
    retryDelaySeconds: 2,
    retryDelayMaxSeconds: 30,
    expireInSeconds: 30,
  }),
  ...IDENTITY_QUEUES,
  notificationsDispatchQueue,
  ...CREATOR_QUEUES,
  scheduleQuarantineNoticeQueue,
  incidentNoticeQueue,
  ...WORKPLACE_QUEUES,
  ...CONTENT_QUEUES,
);

export type AtriumQueueCatalogue = typeof queueCatalogue;
export type AtriumQueueName = keyof AtriumQueueCatalogue;
