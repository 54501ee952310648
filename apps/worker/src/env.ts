import { ZSearchEnv } from '@atrium/domain/discovery/index';
import { ZImportProviderEnv } from '@atrium/domain/imports/media-provider';
import { ZNotificationKeyText, ZNotificationPreviousKeys } from '@atrium/domain/notifications/crypto';
import { z } from 'zod';

/**
 * The worker's configuration, validated once at start. Nothing else in the worker reads process.env:
 * functions receive the parsed config, so tests build one without touching the environment.
 */
const ZWorkerEnv = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
    DATABASE_URL: z.url(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
    REDIS_URL: z.url().optional(),
    REDIS_PREFIX: z.string().min(1).default('atrium:'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    WORKER_OPS_PORT: z.coerce.number().int().min(0).max(65535).default(3101),
    WORKER_OPS_HOST: z.string().default('127.0.0.1'),
    /** Jobs of one queue fetched and run together by this process (pg-boss batch size). */
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
    /**
     * How often an idle queue is polled. New jobs wake workers through NOTIFY at once; polling picks up
     * retries whose backoff has elapsed and anything a lost notification missed.
     */
    WORKER_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
    /** How long SIGTERM waits for in-flight jobs before failing them back to their queue. */
    WORKER_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
    RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
    /** The relay wakes on LISTEN/NOTIFY; this poll is only the safety net. */
    RELAY_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
    /** Queue pauses wake workers through LISTEN/NOTIFY; this poll is the safety net (docs/ops.md). */
    WORKER_CONTROLS_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(2_000),
    /** How often queue depth and failures are sampled for the Ops charts (docs/ops.md). */
    OPS_SAMPLE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
    /** How often this process tells the Ops console it is alive; missing after 3 beats (docs/ops.md). */
    OPS_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
    /**
     * Outgoing mail (docs/email.md). Required in production; elsewhere it defaults to the dev mail
     * catcher's SMTP port, which `pnpm dev` starts.
     */
    SMTP_URL: z.url().optional(),
    MAIL_FROM: z.string().min(3).optional(),
    /** The web app's origin, for links in emails (reset password, sign in). */
    WEB_BASE_URL: z.url().default('http://127.0.0.1:5173'),
    /**
     * Notifications at rest (docs/notifications.md): 32 random bytes, base64 or hex; the same on every
     * API and worker. Required in production; elsewhere the public development key, with a warning.
     */
    NOTIFICATIONS_ENCRYPTION_KEY: ZNotificationKeyText.optional(),
    /** Comma-separated earlier keys, still used to read rows sealed under them (rotation). */
    NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS: ZNotificationPreviousKeys,
    /** How long content cache entries live (the worker leaves invalidation markers too). */
    CONTENT_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  })
  .extend(ZSearchEnv.shape)
  .extend(ZImportProviderEnv.shape)
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.SMTP_URL) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required in production' });
    }
    if (env.NODE_ENV === 'production' && !env.NOTIFICATIONS_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFICATIONS_ENCRYPTION_KEY'],
        message: 'is required in production (32 random bytes, base64 or hex)',
      });
    }
  })
  .transform((env) => ({ ...env, SMTP_URL: env.SMTP_URL ?? DEV_SMTP_URL }));

/** The dev mail catcher's default SMTP listener (scripts/dev.ts, DEV_SMTP_PORT). */
const DEV_SMTP_URL = 'smtp://127.0.0.1:1025';

export type WorkerEnv = z.infer<typeof ZWorkerEnv>;

export function parseWorkerEnv(source: Record<string, string | undefined>): WorkerEnv {
  const result = ZWorkerEnv.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid worker configuration:\n${problems}`);
  }
  return result.data;
}
