import type { Mailer } from '@atrium/domain/platform/mailer';
import { createSmtpMailer } from '@atrium/domain/platform/smtp-mailer';
import type { Logger } from '@atrium/observability';
import type { WorkerEnv } from './env.ts';

/**
 * What job handlers use to reach beyond the database, built once per worker process from its
 * configuration. Handlers receive it in their context (job-runner.ts) and pass the parts a domain
 * function needs; nothing in a handler reads the environment.
 */
export interface WorkerServices {
  mailer: Mailer;
  /** The web app's origin, for links in emails. */
  webBaseUrl: string;
}

export function createWorkerServices(
  env: WorkerEnv,
  logger: Logger,
): WorkerServices & { close(): Promise<void> } {
  const mailer = createSmtpMailer({
    url: env.SMTP_URL,
    ...(env.MAIL_FROM ? { from: env.MAIL_FROM } : {}),
    log: logger.child({ component: 'smtp' }),
  });
  return {
    mailer,
    webBaseUrl: env.WEB_BASE_URL,
    close: () => mailer.close(),
  };
}
