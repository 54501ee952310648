import { z } from 'zod';

/**
 * The API's configuration, validated once at start. Nothing else in the API reads process.env:
 * functions receive the parsed config, so tests can build one without touching the environment.
 */
const ZApiEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.url(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Where DATABASE_URL came from; `pnpm dev` sets `embedded` when it started the database itself. */
  DATABASE_SOURCE: z.enum(['DATABASE_URL', 'embedded']).default('DATABASE_URL'),
  REDIS_URL: z.url().optional(),
  REDIS_PREFIX: z.string().min(1).default('atrium:'),
  MEILI_URL: z.url().optional(),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  API_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Serve the built web app (apps/web/dist) from the API, for `pnpm start`. */
  WEB_DIST_DIR: z.string().optional(),
});

export type ApiEnv = z.infer<typeof ZApiEnv>;

export function parseApiEnv(source: Record<string, string | undefined>): ApiEnv {
  const result = ZApiEnv.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid API configuration:\n${problems}`);
  }
  return result.data;
}
