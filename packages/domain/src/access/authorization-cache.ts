import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { LogSink } from '../platform/logger.ts';
import { silentLog } from '../platform/logger.ts';
import { PERMISSIONS } from './permissions.ts';

/**
 * What authorising a request needs to know about a user, as the database says now. Access tokens
 * carry the permission version (`pv`) they were issued under; this carries the current one.
 */
export const ZAuthState = z.object({
  userId: z.string(),
  orgId: z.string(),
  status: z.enum(['active', 'disabled']),
  pv: z.number().int(),
  roles: z.array(z.string()),
  permissions: z.array(z.enum(PERMISSIONS)),
  platformRole: z.literal('operator').nullable(),
  mustChangePassword: z.boolean(),
});
export type AuthState = z.infer<typeof ZAuthState>;

/**
 * The authorisation cache port (SPEC §1: "a user's effective permissions are cached under a
 * version"). Adapters never throw: a cache that cannot answer is a miss, and the database answers.
 */
export interface AuthorizationCache {
  readonly kind: 'redis' | 'none';
  get(userId: string): Promise<AuthState | null>;
  /** After a miss: stores `state` only if nothing is cached, so a slow reader never overwrites a fresher entry. */
  fill(state: AuthState): Promise<void>;
  /** After a change: stores `state` unless the cached entry carries a newer permission version. */
  put(state: AuthState): Promise<void>;
  delete(userId: string): Promise<void>;
}

export const DEFAULT_AUTHZ_CACHE_TTL_SECONDS = 300;

/**
 * The adapter for a process's configuration: Redis when it has a client, else no cache. Every process
 * that changes authorisation (API, worker consumers) builds one the same way, with the same prefix.
 */
export function createAuthorizationCache(options: {
  redis: Redis | null;
  prefix: string;
  ttlSeconds?: number;
  log?: LogSink;
}): AuthorizationCache {
  if (!options.redis) return noAuthorizationCache;
  return createRedisAuthorizationCache(options.redis, {
    prefix: options.prefix,
    ttlSeconds: options.ttlSeconds ?? DEFAULT_AUTHZ_CACHE_TTL_SECONDS,
    ...(options.log ? { log: options.log } : {}),
  });
}

/** The in-process choice when Redis is not configured: no cache, every request reads the database. */
export const noAuthorizationCache: AuthorizationCache = {
  kind: 'none',
  get: async () => null,
  fill: async () => {},
  put: async () => {},
  delete: async () => {},
};

// Overwrite unless what is cached is newer: concurrent refreshes after two quick changes cannot
// leave the older state behind.
const PUT_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded.pv) and tonumber(decoded.pv) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
`;

/** Redis adapter: `${prefix}authz:{userId}` → JSON AuthState, with a TTL as a backstop. */
export function createRedisAuthorizationCache(
  redis: Redis,
  options: { prefix: string; ttlSeconds: number; log?: LogSink },
): AuthorizationCache {
  const log = options.log ?? silentLog;
  const keyOf = (userId: string) => `${options.prefix}authz:${userId}`;
  let failing = false;
  const guard = async <T>(operation: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      const result = await operation();
      if (failing) {
        failing = false;
        log.info({}, 'authorization cache: Redis is back');
      }
      return result;
    } catch (error) {
      if (!failing) {
        failing = true;
        log.warn(
          { err: error },
          'authorization cache: Redis unavailable; reading authorisation from the database',
        );
      }
      return fallback;
    }
  };
  return {
    kind: 'redis',
    get: (userId) =>
      guard(async () => {
        const raw = await redis.get(keyOf(userId));
        if (raw === null) return null;
        const parsed = ZAuthState.safeParse(JSON.parse(raw));
        return parsed.success && parsed.data.userId === userId ? parsed.data : null;
      }, null),
    fill: (state) =>
      guard(async () => {
        await redis.set(keyOf(state.userId), JSON.stringify(state), 'EX', options.ttlSeconds, 'NX');
      }, undefined),
    put: (state) =>
      guard(async () => {
        await redis.eval(
          PUT_SCRIPT,
          1,
          keyOf(state.userId),
          JSON.stringify(state),
          String(state.pv),
          String(options.ttlSeconds),
        );
      }, undefined),
    delete: (userId) =>
      guard(async () => {
        await redis.del(keyOf(userId));
      }, undefined),
  };
}
