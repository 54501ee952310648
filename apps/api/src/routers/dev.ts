import { ExternalServiceError, NotFoundError } from '@atrium/domain/errors';
import { z } from 'zod';
import type { ApiEnv } from '../env.ts';
import { publicProcedure, router } from '../trpc.ts';

/**
 * Development tools. `dev.mailbox.*` reads the dev mail catcher that `pnpm dev` starts when no
 * SMTP_URL is configured (docs/email.md), for the web app's Mailbox page. The procedures answer
 * NOT_FOUND unless NODE_ENV is not `production` and MAIL_CATCHER_URL is set, so a production API
 * never proxies anything. Public on purpose: the catcher holds only mail sent on this dev machine, and
 * the Mailbox page must work before anyone can sign in (verification codes arrive there).
 */

/** The catcher's JSON (packages/local-engines/src/mail-catcher.ts, `CaughtMessage`). */
const ZCaughtMessage = z.object({
  id: z.string(),
  messageId: z.string().nullable(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()).default([]),
  subject: z.string(),
  date: z.coerce.date(),
  receivedAt: z.coerce.date(),
  text: z.string(),
  html: z.string().nullable(),
  headers: z.record(z.string(), z.string()).default({}),
  attachments: z
    .array(z.object({ filename: z.string().nullable(), contentType: z.string(), size: z.number() }))
    .default([]),
});

export type MailboxMessage = z.infer<typeof ZCaughtMessage>;

export interface MailboxSummary {
  id: string;
  from: string;
  to: string[];
  subject: string;
  date: Date;
  /** The first 200 characters of the text, on one line. */
  preview: string;
  hasHtml: boolean;
}

const CATCHER_TIMEOUT_MS = 3_000;

/** The catcher's base URL, or NOT_FOUND when the mailbox is not available in this environment. */
function catcherUrl(env: ApiEnv): string {
  if (env.NODE_ENV === 'production' || !env.MAIL_CATCHER_URL) throw new NotFoundError('Dev mailbox');
  return env.MAIL_CATCHER_URL.replace(/\/+$/, '');
}

async function callCatcher(env: ApiEnv, path: string, method: 'GET' | 'DELETE' = 'GET'): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${catcherUrl(env)}${path}`, {
      method,
      signal: AbortSignal.timeout(CATCHER_TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof NotFoundError) throw error;
    throw new ExternalServiceError(
      'UNAVAILABLE',
      'Mail catcher',
      'The dev mail catcher is not answering',
      error,
    );
  }
  if (response.status === 404) throw new NotFoundError('Message');
  if (!response.ok) {
    throw new ExternalServiceError(
      'BAD_GATEWAY',
      'Mail catcher',
      `The dev mail catcher answered ${response.status}`,
    );
  }
  return response.json();
}

/** The catcher's answer in the expected shape; anything else is the catcher's fault, not the caller's. */
function expectShape<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ExternalServiceError(
      'BAD_GATEWAY',
      'Mail catcher',
      'The dev mail catcher answered in an unexpected shape',
    );
  }
  return result.data;
}

function summarize(message: MailboxMessage): MailboxSummary {
  return {
    id: message.id,
    from: message.from,
    to: message.to,
    subject: message.subject,
    date: message.date,
    preview: message.text.replace(/\s+/g, ' ').trim().slice(0, 200),
    hasHtml: message.html !== null,
  };
}

export const ZMailboxListInput = z.object({ limit: z.number().int().min(1).max(500).default(100) }).default({
  limit: 100,
});
export const ZMailboxMessageInput = z.object({ id: z.string().min(1).max(200) });

export const devRouter = router({
  mailbox: router({
    /** Newest first. `total` counts everything the catcher holds (it keeps the newest 500). */
    list: publicProcedure.input(ZMailboxListInput).query(async ({ ctx, input }) => {
      const messages = expectShape(z.array(ZCaughtMessage), await callCatcher(ctx.services.env, '/messages'));
      return { messages: messages.slice(0, input.limit).map(summarize), total: messages.length };
    }),
    get: publicProcedure
      .input(ZMailboxMessageInput)
      .query(
        async ({ ctx, input }): Promise<MailboxMessage> =>
          expectShape(
            ZCaughtMessage,
            await callCatcher(ctx.services.env, `/messages/${encodeURIComponent(input.id)}`),
          ),
      ),
    clear: publicProcedure.mutation(async ({ ctx }) =>
      expectShape(
        z.object({ deleted: z.number() }),
        await callCatcher(ctx.services.env, '/messages', 'DELETE'),
      ),
    ),
  }),
});
