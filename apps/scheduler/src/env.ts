import { ZNotificationKeyText, ZNotificationPreviousKeys } from '@atrium/domain/notifications/crypto';
import { ZObjectStorageEnv } from '@atrium/domain/platform/storage-config';
import { z } from 'zod';

/** The scheduler's configuration, validated once at start; nothing else reads process.env. */
const ZSchedulerEnv = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
    DATABASE_URL: z.url(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
    REDIS_URL: z.url().optional(),
    /** Key and channel prefix shared with the API and worker (realtime events, docs/realtime.md). */
    REDIS_PREFIX: z.string().min(1).default('atrium:'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SCHEDULER_OPS_PORT: z.coerce.number().int().min(0).max(65535).default(3102),
    SCHEDULER_OPS_HOST: z.string().default('127.0.0.1'),
    /** Identifies this replica in lease rows and run logs; defaults to host:pid. */
    SCHEDULER_NODE_ID: z.string().min(1).optional(),
    /** How often this replica looks for due schedules. */
    SCHEDULER_TICK_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
    /** A claimed run's lease; renewed every third of it while the handler runs. */
    SCHEDULER_LEASE_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(30_000),
    /** Runs this replica executes at once. */
    SCHEDULER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
    /**
     * Connections of the handlers' own pool (default: SCHEDULER_CONCURRENCY). DATABASE_POOL_SIZE is the
     * replica's own work — claims, lease heartbeats, outcome writes — which handlers never touch.
     */
    SCHEDULER_HANDLER_POOL_SIZE: z.coerce.number().int().min(1).max(100).optional(),
    /** How late a slot may start before its misfire policy applies. */
    SCHEDULER_MISFIRE_GRACE_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
    /** On SIGTERM: how long running handlers may finish before they are aborted (reason shutdown). */
    SCHEDULER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    /** Retention of published outbox events, inbox rows and spent credentials (built-in schedules). */
    RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
    /** How often this process tells the Ops console it is alive; missing after 3 beats (docs/ops.md). */
    OPS_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
    /** How long log events are kept (the built-in `log-retention` schedule). */
    LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    /**
     * The key the API and worker seal secrets with (docs/notifications.md): the AIMS health probe opens
     * the orgs' AIMS passwords with it. Unset: the public development key, with a warning.
     */
    NOTIFICATIONS_ENCRYPTION_KEY: ZNotificationKeyText.optional(),
    NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS: ZNotificationPreviousKeys,
    /** Draft datasets older than this are deleted with their assets (SPEC §5, docs/datasets.md). */
    DATASET_DRAFT_TTL_HOURS: z.coerce.number().int().min(1).max(8760).default(72),
  })
  // Object storage: the draft expiry deletes assets' bytes (docs/storage.md).
  .extend(ZObjectStorageEnv.shape);

export type SchedulerEnv = z.infer<typeof ZSchedulerEnv>;

export function parseSchedulerEnv(source: Record<string, string | undefined>): SchedulerEnv {
  const result = ZSchedulerEnv.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid scheduler configuration:\n${problems}`);
  }
  return result.data;
}
