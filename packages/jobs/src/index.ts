export { type CreateBossOptions, createBoss, DEFAULT_BOSS_SCHEMA } from './boss.ts';
export { installQueueSchema } from './install.ts';
export { outboxJobId } from './job-id.ts';
export { kyselyJobsDb } from './kysely-db.ts';
export {
  createPgBossOpsQueues,
  type OpsJobListQuery,
  type OpsJobSearch,
  type OpsJobState,
  type OpsRedriveCommand,
  type OpsStatsQuery,
  type OpsStatsRow,
  type OpsStoredJob,
  type PgBossOpsQueues,
} from './ops-adapter.ts';
export {
  DEAD_LETTER_RETENTION_SECONDS,
  deadLetterSettings,
  ensureQueues,
  type QueueSpec,
  type QueueSpecs,
  queueSettings,
} from './queues.ts';
