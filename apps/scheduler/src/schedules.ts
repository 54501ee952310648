import { BUILT_IN_HANDLERS, type CreateScheduleInput } from '@atrium/domain/scheduling/index';
import type { SchedulerEnv } from './env.ts';

/**
 * The built-in schedules (SPEC §8), upserted by name on every start (`ensureBuiltInSchedules`): the
 * definition below wins, the operator's state (paused, quarantined, failure count) is kept. Their
 * handlers live in the domain (`@atrium/domain/scheduling/built-in-handlers`).
 */
export function builtInSchedules(
  env: Pick<SchedulerEnv, 'RETENTION_DAYS' | 'LOG_RETENTION_DAYS' | 'DATASET_DRAFT_TTL_HOURS'>,
): CreateScheduleInput[] {
  return [
    {
      name: 'expired-credential-cleanup',
      handler: BUILT_IN_HANDLERS.credentialCleanup,
      kind: 'cron',
      cronExpr: '7 * * * *',
      payload: { retentionDays: env.RETENTION_DAYS },
      maxAttempts: 3,
      backoffSeconds: 60,
      maxRuntimeSeconds: 600,
      misfire: 'run_once',
    },
    {
      name: 'outbox-inbox-retention',
      handler: BUILT_IN_HANDLERS.eventRetention,
      kind: 'cron',
      cronExpr: '17 3 * * *',
      payload: { retentionDays: env.RETENTION_DAYS },
      maxAttempts: 3,
      backoffSeconds: 300,
      maxRuntimeSeconds: 1_800,
      misfire: 'run_once',
    },
    {
      name: 'audit-integrity-report',
      handler: BUILT_IN_HANDLERS.auditIntegrityReport,
      kind: 'cron',
      cronExpr: '37 2 * * *',
      maxAttempts: 3,
      backoffSeconds: 300,
      maxRuntimeSeconds: 3_600,
      misfire: 'run_once',
    },
    {
      name: 'log-retention',
      handler: BUILT_IN_HANDLERS.logRetention,
      kind: 'cron',
      cronExpr: '47 3 * * *',
      payload: { retentionDays: env.LOG_RETENTION_DAYS },
      maxAttempts: 3,
      backoffSeconds: 300,
      maxRuntimeSeconds: 3_600,
      misfire: 'run_once',
    },
    // SPEC §9: every connected org's AIMS, every 60 s (one run probes them all, one after another).
    {
      name: 'aims-health-check',
      handler: BUILT_IN_HANDLERS.aimsHealth,
      kind: 'interval',
      intervalSeconds: 60,
      maxAttempts: 1,
      backoffSeconds: 10,
      maxRuntimeSeconds: 55,
      misfire: 'skip',
    },
    // SPEC §9: a full sync per org every 15 minutes (the runs themselves are worker jobs).
    {
      name: 'aims-reconciliation',
      handler: BUILT_IN_HANDLERS.aimsReconciliation,
      kind: 'interval',
      intervalSeconds: 900,
      maxAttempts: 3,
      backoffSeconds: 30,
      maxRuntimeSeconds: 120,
      misfire: 'skip',
    },
    {
      name: 'dataset-draft-expiry',
      handler: BUILT_IN_HANDLERS.datasetDraftExpiry,
      kind: 'cron',
      cronExpr: '47 3 * * *',
      payload: { maxAgeHours: env.DATASET_DRAFT_TTL_HOURS },
      maxAttempts: 3,
      backoffSeconds: 300,
      maxRuntimeSeconds: 1_800,
      misfire: 'run_once',
    },
  ];
}
