export { type CreateBossOptions, createBoss, DEFAULT_BOSS_SCHEMA } from './boss.ts';
export { installQueueSchema } from './install.ts';
export { outboxJobId } from './job-id.ts';
export { kyselyJobsDb } from './kysely-db.ts';
export { createPgBossOpsQueues } from './ops-adapter.ts';
export {
  DEAD_LETTER_RETENTION_SECONDS,
  deadLetterSettings,
  ensureQueues,
  JOB_HEARTBEAT_SECONDS,
  queueSettings,
} from './queues.ts';
