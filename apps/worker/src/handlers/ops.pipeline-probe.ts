import type { AtriumQueueCatalogue } from '@atrium/domain';
import { acknowledgePipelineProbe } from '@atrium/domain';
import type { QueueHandler } from '../job-runner.ts';

/** Acknowledges an end-to-end probe of the events backbone (outbox → relay → queue → here). */
export const handlePipelineProbe: QueueHandler<AtriumQueueCatalogue['ops.pipeline-probe']> = async (
  event,
  { db, logger, job },
) => {
  const { processed, latencySeconds } = await acknowledgePipelineProbe(
    { db },
    { consumer: job.queue, event },
  );
  logger.debug({ probeId: event.payload.probeId, processed, latencySeconds }, 'pipeline probe acknowledged');
};
