export { parseWorkerEnv, type WorkerEnv } from './env.ts';
export type { HandlerContext, QueueHandler, QueueHandlers } from './job-runner.ts';
export { queueHandlers } from './queues.ts';
export {
  type ClaimedEvent,
  createOutboxRelay,
  type OutboxRelay,
  outboxBacklog,
  type RelayHooks,
} from './relay.ts';
export { type RunningWorker, type StartWorkerOptions, startWorker } from './worker.ts';
