export { freePort } from './free-port.ts';
export { type EmbeddedPostgresOptions, type RunningPostgres, startEmbeddedPostgres } from './postgres.ts';
export { type RunningRedis, redisServerAvailable, startRedisServer } from './redis.ts';
