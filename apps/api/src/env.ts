import { ZSearchEnv } from '@atrium/domain/discovery/index';
import { ZImportProviderEnv } from '@atrium/domain/imports/media-provider';
import { ZNotificationKeyText, ZNotificationPreviousKeys } from '@atrium/domain/notifications/crypto';
import { ZObjectStorageEnv } from '@atrium/domain/platform/storage-config';
import { z } from 'zod';

/**
 * The API's configuration, validated once at start. Nothing else in the API reads process.env:
 * functions receive the parsed config, so tests can build one without touching the environment.
 */
const ZApiEnv = z
  .object({
    /**
     * Production unless told otherwise: an unset NODE_ENV must never switch on development conveniences
     * (public keys, the dev mailbox, open metrics). `pnpm dev` and the test kit ask for theirs.
     */
    NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
    DATABASE_URL: z.url(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    /** Where DATABASE_URL came from; `pnpm dev` sets `embedded` when it started the database itself. */
    DATABASE_SOURCE: z.enum(['DATABASE_URL', 'embedded']).default('DATABASE_URL'),
    REDIS_URL: z.url().optional(),
    REDIS_PREFIX: z.string().min(1).default('atrium:'),
    /** The dev mail catcher's HTTP API (set by `pnpm dev`); enables `dev.mailbox.*` outside production. */
    MAIL_CATCHER_URL: z.url().optional(),
    API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    API_HOST: z.string().default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Serve the built web app (apps/web/dist) from the API, for `pnpm start`. */
    WEB_DIST_DIR: z.string().optional(),
    /**
     * Which peers may set X-Forwarded-For (Express "trust proxy" values, comma-separated: `loopback`,
     * `uniquelocal`, addresses or CIDRs). Unset: none — the socket address is the client's, so nobody
     * can pick their own IP to dodge per-address limits.
     */
    TRUST_PROXY: z
      .string()
      .trim()
      .max(1000)
      .optional()
      .transform((value) =>
        value
          ? value
              .split(',')
              .map((part) => part.trim())
              .filter(Boolean)
          : [],
      ),
    /**
     * Bearer token for `/metrics` and the detailed `/health/ready` (check errors and latencies). In
     * production, without it `/metrics` answers 404 and readiness says only up or down per check.
     */
    METRICS_TOKEN: z.string().min(24, { message: 'must be at least 24 characters' }).optional(),

    // ── Transport limits (SPEC §10, docs/security.md) ──
    /** Largest JSON body of a request; procedures listed in transport.ts as bulk declare their own cap. */
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** Most calls one tRPC batch may carry. */
    TRPC_MAX_BATCH: z.coerce.number().int().min(1).max(100).default(10),
    /** Concurrent event streams one user may hold open on one API replica. */
    REALTIME_MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),
    /** Expensive procedures (audit verification, …) one caller may run at once on one replica. */
    HEAVY_CALLS_PER_CALLER: z.coerce.number().int().min(1).max(100).default(2),

    /** Ops console health (SPEC §8): base URLs of the worker's and the scheduler's ops servers. */
    WORKER_OPS_URL: z.url().optional(),
    SCHEDULER_OPS_URL: z.url().optional(),

    // ── Identity (SPEC §1, docs/identity.md) ──
    /**
     * HS256 key of access tokens, ≥ 32 characters, the same on every API replica. Required in
     * production; in development and tests an unset secret is replaced by a random one per process
     * (tokens then die with the process; the refresh cookie brings a new one).
     */
    JWT_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    /**
     * Whether org admins may point their AIMS connection at loopback or private addresses
     * (docs/workplace.md). Default: allowed outside production, refused in production.
     */
    AIMS_ALLOW_PRIVATE_HOSTS: z.enum(['true', 'false', '1', '0']).optional(),
    /** `Secure` on the refresh cookie. Chromium treats http://127.0.0.1 and localhost as secure, so keep it on. */
    COOKIE_SECURE: z
      .enum(['true', 'false', '1', '0'])
      .default('true')
      .transform((value) => value === 'true' || value === '1'),
    /**
     * Sign-in limits (SPEC §1, docs/identity.md): failed sign-ins per account and device (or in the
     * account's untrusted bucket for browsers without its device cookie) per window, and per source
     * address per hour. Successes never count.
     */
    AUTH_SIGNIN_DEVICE_FAILURES: z.coerce.number().int().min(1).default(10),
    AUTH_SIGNIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    AUTH_SIGNIN_IP_FAILURES: z.coerce.number().int().min(1).default(100),
    AUTH_SIGNIN_IP_WINDOW_SECONDS: z.coerce.number().int().min(1).default(3600),
    /** The web app's origin, for links in the emails the API queues itself (invitations). */
    WEB_BASE_URL: z.url().default('http://127.0.0.1:5173'),
    /** Sign-ups per client IP per hour. */
    AUTH_REGISTER_IP_LIMIT: z.coerce.number().int().min(1).default(20),
    /** How long a user's cached authorisation may live in Redis (every change refreshes it anyway). */
    AUTHZ_CACHE_TTL_SECONDS: z.coerce.number().int().min(5).default(300),

    // ── Realtime (SPEC §2, docs/realtime.md) ──
    /**
     * How often an open `events.subscribe` stream re-checks its access token: an expired token, a
     * permission change or a disabled account ends the stream with that 401 within this time.
     */
    REALTIME_REVALIDATE_SECONDS: z.coerce.number().min(0.05).max(900).default(30),

    // ── Notifications (SPEC §6, docs/notifications.md) ──
    /**
     * Key of notifications at rest (recipient addresses, sensitive content): 32 random bytes, base64 or
     * hex, the same on every API and worker. Required in production; elsewhere the public development
     * key, with a warning at start.
     */
    NOTIFICATIONS_ENCRYPTION_KEY: ZNotificationKeyText.optional(),
    /** Comma-separated earlier keys, still used to read rows sealed under them (rotation). */
    NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS: ZNotificationPreviousKeys,
    /**
     * Emails people may cause per org per hour (notifications.send, invitations), unless a platform
     * operator set the org's own quota. Past it → 429.
     */
    NOTIFICATIONS_EMAIL_QUOTA_PER_HOUR: z.coerce.number().int().min(0).max(100_000).default(200),

    // ── Logs (SPEC §7, docs/logging.md) ──
    /** `logs.ingest` / `logs.ingestBulk` calls one API key may make per minute (429 beyond). */
    LOGS_INGEST_CALLS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(6_000),

    // ── Content and discovery (SPEC §4, docs/content.md) ──
    /** How long `content:{id}` and `media:{contentId}` stay in Redis without a write (a backstop). */
    CONTENT_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    /**
     * The public Library (`discovery.search`, `discovery.get`) answers anyone: calls per minute per
     * client address for anonymous callers, per user for signed-in ones (429 + Retry-After beyond),
     * and calls at once per caller on a replica (docs/security.md).
     */
    DISCOVERY_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(120),
    DISCOVERY_MEMBER_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
    DISCOVERY_CONCURRENT_PER_CALLER: z.coerce.number().int().min(1).max(1_000).default(4),

    // ── Object storage, files, scanning (SPEC §5, docs/storage.md, docs/files.md) ──
    // S3_* and OBJECT_STORAGE_{DIR,SIGNING_KEY}: ZObjectStorageEnv, extended below.
    /** Public URL of the API's `/objects`; defaults to http://{API_HOST}:{API_PORT}/objects. */
    OBJECT_STORAGE_PUBLIC_URL: z.url().optional(),
    CLAMAV_HOST: z.string().min(1).optional(),
    CLAMAV_PORT: z.coerce.number().int().min(1).max(65535).default(3310),
    CLAMAV_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .default(25 * 1024 * 1024),
    CLAMAV_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
    /** Largest file `files.upload` accepts. */
    FILES_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(5 * 1024 ** 3)
      .default(25 * 1024 * 1024),
  })
  .extend(ZObjectStorageEnv.shape)
  .extend(ZSearchEnv.shape)
  .extend(ZImportProviderEnv.shape);

export type ApiEnv = z.infer<typeof ZApiEnv>;

export function parseApiEnv(source: Record<string, string | undefined>): ApiEnv {
  const result = ZApiEnv.safeParse(source);
  if (result.success && result.data.NODE_ENV === 'production' && !result.data.JWT_SECRET) {
    throw new Error(
      'Invalid API configuration:\n  JWT_SECRET: required in production (at least 32 characters)',
    );
  }
  if (result.success && result.data.NODE_ENV === 'production' && !result.data.NOTIFICATIONS_ENCRYPTION_KEY) {
    throw new Error(
      'Invalid API configuration:\n  NOTIFICATIONS_ENCRYPTION_KEY: required in production (32 random bytes, base64 or hex)',
    );
  }
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid API configuration:\n${problems}`);
  }
  return result.data;
}
