export {
  type Clamd,
  clamdBinary,
  EICAR,
  EICAR_SIGNATURE,
  type RunningClamd,
  startClamd,
  useClamd,
} from './clamd.ts';
export { unpublishEvents, waitUntilPublished } from './outbox.ts';
export { createTestDatabase, type TestDatabase, useTestDatabase } from './postgres.ts';
export { type NodeProcess, spawnNode } from './process.ts';
export { metricValue } from './prometheus.ts';
export {
  type FakeSoundCloudTrack,
  type FakeVimeoVideo,
  type FakeYouTubeVideo,
  PROVIDER_FIXTURES,
  type ProviderFault,
  type ProviderRequest,
  type ProviderServerName,
  type ProviderServers,
  type RunningProviderServers,
  startProviderServers,
  useProviderServers,
} from './providers.ts';
export { redisAvailable, type TestRedis, testRedisUrl, useTestRedis } from './redis.ts';
export { type RunningS3Server, type S3Server, startS3Server, useS3Server } from './s3.ts';
export {
  type ReceivedMail,
  type RunningSmtpReceiver,
  type SmtpFailureMode,
  type SmtpReceiver,
  startSmtpReceiver,
  useSmtpReceiver,
} from './smtp.ts';
export { sleep, type WaitForOptions, waitFor } from './wait.ts';
