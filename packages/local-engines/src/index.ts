export { freePort } from './free-port.ts';
export {
  type CaughtMessage,
  type MailCatcherOptions,
  type RunningMailCatcher,
  type RunningSmtpListener,
  type SmtpListenerOptions,
  type SmtpRejection,
  startMailCatcher,
  startSmtpListener,
} from './mail-catcher.ts';
export { type EmbeddedPostgresOptions, type RunningPostgres, startEmbeddedPostgres } from './postgres.ts';
export { type RunningRedis, redisServerAvailable, startRedisServer } from './redis.ts';
