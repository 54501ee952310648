import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

export type { Redis };

const require = createRequire(import.meta.url);

/**
 * ioredis's client class, loaded on first use: a process without REDIS_URL never loads the library
 * (it is about 8 MB of each process's resident memory; SPEC §13 idle RSS). Create clients with
 * `new (redisClientClass())(url, options)`, or createRedisClient below.
 */
export function redisClientClass(): typeof Redis {
  return (require('ioredis') as typeof import('ioredis')).Redis;
}

/**
 * A Redis client tuned for a cache and limiter that must never take the product down: commands fail
 * fast while Redis is unreachable (no offline queue, one retry), and the client keeps reconnecting in
 * the background. Callers treat a failed command as a cache miss or fall back (SPEC §4, §1).
 */
export function createRedisClient(url: string, options: { connectionName?: string } = {}): Redis {
  const RedisClient = redisClientClass();
  const client = new RedisClient(url, {
    connectionName: options.connectionName ?? 'atrium',
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    lazyConnect: false,
  });
  // Connection errors are reported through health checks, not as unhandled 'error' events.
  client.on('error', () => {});
  return client;
}
