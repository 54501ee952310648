export { createTestDatabase, type TestDatabase, useTestDatabase } from './postgres.ts';
export { metricValue } from './prometheus.ts';
export { redisAvailable, type TestRedis, testRedisUrl, useTestRedis } from './redis.ts';
