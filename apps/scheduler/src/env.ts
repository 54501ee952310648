import { z } from 'zod';

/** The scheduler's configuration, validated once at start; nothing else reads process.env. */
const ZSchedulerEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.url(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
  REDIS_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SCHEDULER_OPS_PORT: z.coerce.number().int().min(0).max(65535).default(3102),
  SCHEDULER_OPS_HOST: z.string().default('127.0.0.1'),
  /** Identifies this replica in lease rows and run logs; defaults to host:pid. */
  SCHEDULER_NODE_ID: z.string().min(1).optional(),
});

export type SchedulerEnv = z.infer<typeof ZSchedulerEnv>;

export function parseSchedulerEnv(source: Record<string, string | undefined>): SchedulerEnv {
  const result = ZSchedulerEnv.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid scheduler configuration:\n${problems}`);
  }
  return result.data;
}
