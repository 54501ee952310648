import type { createTransport } from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import type { LogSink } from './logger.ts';
import {
  assertSendable,
  DEFAULT_MAIL_FROM,
  MailDeliveryError,
  type Mailer,
  type MailFailureKind,
} from './mailer.ts';

export interface SmtpMailerOptions {
  /**
   * `smtp://[user:pass@]host[:port]` (STARTTLS when the server offers it) or `smtps://…` (TLS from the
   * first byte, port 465 by default). Credentials are percent-decoded. Query parameters:
   * `requireTLS=true`, `ignoreTLS=true`, `rejectUnauthorized=false` (self-signed test servers only),
   * `name=<EHLO name>`, `maxConnections=<n>`.
   */
  url: string;
  /** Default From (MAIL_FROM); `Atrium <no-reply@atrium.local>` when unset. */
  from?: string;
  timeouts?: Partial<SmtpTimeouts>;
  /** Failures are logged here (code, reply code, kind — never bodies, addresses or credentials). */
  log?: LogSink;
}

export interface SmtpTimeouts {
  /** TCP (and TLS) connect. */
  connectionMs: number;
  /** From connect to the server's 220 greeting. */
  greetingMs: number;
  /** Longest silence on an open connection. */
  socketMs: number;
  /** The whole send, queueing in the pool included: a server trickling replies trips no idle timer. */
  sendMs: number;
}

export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = {
  connectionMs: 5_000,
  greetingMs: 5_000,
  socketMs: 10_000,
  sendMs: 30_000,
};

const QUERY_OPTIONS = new Set(['requireTLS', 'ignoreTLS', 'rejectUnauthorized', 'name', 'maxConnections']);

/**
 * A pooled nodemailer transport behind the Mailer port. The URL is checked here; nodemailer itself is
 * loaded, and the pool made, on the first send or verify: a process that sends no mail never holds
 * it (SPEC §13 idle RSS).
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts };
  const connection = smtpConnectionOptions(options.url);
  let pool: Promise<ReturnType<typeof createTransport>> | undefined;
  const transporter = () =>
    (pool ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        ...connection,
        pool: true,
        maxConnections: connection.maxConnections ?? 3,
        connectionTimeout: timeouts.connectionMs,
        greetingTimeout: timeouts.greetingMs,
        socketTimeout: timeouts.socketMs,
        dnsTimeout: timeouts.connectionMs,
        // Close idle pooled connections well before servers do (many drop them after 60 s or so).
        idleTimeout: 30_000,
        // A server that keeps dropping connections mid-delivery: give up after two more tries and let
        // the dispatcher's own backoff take over.
        maxRequeues: 2,
        logger: false,
        debug: false,
        disableFileAccess: true,
        disableUrlAccess: true,
      }),
    ));
  const defaultFrom = options.from ?? DEFAULT_MAIL_FROM;
  const target = describeTarget(options.url);
  let closed = false;

  const fail = (error: unknown, during: 'send' | 'verify'): MailDeliveryError => {
    const mailError = toMailDeliveryError(error);
    options.log?.warn(
      {
        during,
        smtp: target,
        kind: mailError.kind,
        permanent: mailError.permanent,
        responseCode: mailError.responseCode,
        code: (error as NodemailerError | undefined)?.code,
      },
      'mail delivery failed',
    );
    return mailError;
  };

  return {
    async send(message) {
      if (closed) throw new MailDeliveryError('Mailer is closed', { permanent: false, kind: 'unreachable' });
      assertSendable(message);
      try {
        const transport = await transporter();
        const info = await transport.sendMail({
          from: message.from ?? defaultFrom,
          to: message.to,
          // Header values are folded and encoded by nodemailer; a line break in a subject would
          // still read as the end of the header to some parsers, so it becomes a space here.
          subject: message.subject.replace(/[\r\n]+/g, ' '),
          text: message.text,
          ...(message.html === undefined ? {} : { html: message.html }),
          ...(message.headers ? { headers: message.headers } : {}),
          ...(message.messageId ? { messageId: message.messageId } : {}),
          signal: AbortSignal.timeout(timeouts.sendMs),
        });
        return { messageId: info.messageId };
      } catch (error) {
        throw fail(error, 'send');
      }
    },
    async verify() {
      try {
        await (await transporter()).verify();
      } catch (error) {
        throw fail(error, 'verify');
      }
    },
    async close() {
      closed = true;
      (await pool?.catch(() => null))?.close();
    },
  };
}

/** `smtp://` / `smtps://` URL → nodemailer connection options (credentials percent-decoded). */
export function smtpConnectionOptions(url: string): SMTPPoolOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('SMTP_URL is not a valid URL (expected smtp://[user:pass@]host[:port] or smtps://…)');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`SMTP_URL must start with smtp:// or smtps:// (got ${parsed.protocol}//)`);
  }
  const secure = parsed.protocol === 'smtps:';
  const options: SMTPPoolOptions = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
  };
  if (parsed.username || parsed.password) {
    options.auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
  }
  for (const [key, value] of parsed.searchParams) {
    if (!QUERY_OPTIONS.has(key)) throw new Error(`SMTP_URL: unknown parameter "${key}"`);
    if (key === 'requireTLS') options.requireTLS = value === 'true';
    else if (key === 'ignoreTLS') options.ignoreTLS = value === 'true';
    else if (key === 'rejectUnauthorized') options.tls = { rejectUnauthorized: value !== 'false' };
    else if (key === 'name') options.name = value;
    else if (key === 'maxConnections') options.maxConnections = Math.max(1, Number(value) || 1);
  }
  return options;
}

/** host:port for logs: never the credentials. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'smtp';
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Classifies whatever nodemailer threw. With an SMTP reply, the reply class decides (5xx permanent
 * except 503, 4xx transient — nodemailer computes this as `permanent`); without one it is a
 * connection-level failure and transient, except for envelope problems our own input caused.
 */
export function toMailDeliveryError(error: unknown): MailDeliveryError {
  if (error instanceof MailDeliveryError) return error;
  const err = (error ?? {}) as NodemailerError;
  const code = err.code ?? '';
  const responseCode = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const reason = safeReason(err);

  if (code === 'EABORT' || code === 'ETIMEDOUT' || err.name === 'TimeoutError') {
    return new MailDeliveryError(`SMTP server timed out: ${reason}`, {
      permanent: false,
      kind: 'timeout',
      cause: error,
    });
  }
  if (responseCode !== undefined) {
    const permanent = err.permanent ?? (responseCode >= 500 && responseCode < 600 && responseCode !== 503);
    const kind: MailFailureKind = code === 'EAUTH' ? 'auth' : 'rejected';
    return new MailDeliveryError(`SMTP server refused the message: ${reason}`, {
      permanent,
      kind,
      responseCode,
      cause: error,
    });
  }
  if (code === 'EENVELOPE' || code === 'EMAXRECIPIENTS' || code === 'ECONFIG' || code === 'ENOAUTH') {
    return new MailDeliveryError(`Message cannot be sent: ${reason}`, {
      permanent: true,
      kind: code === 'ENOAUTH' ? 'auth' : 'invalid-message',
      cause: error,
    });
  }
  if (UNREACHABLE_CODES.has(code) || UNREACHABLE_CODES.has(err.originalCode ?? '')) {
    return new MailDeliveryError(`SMTP server unreachable: ${reason}`, {
      permanent: false,
      kind: 'unreachable',
      cause: error,
    });
  }
  return new MailDeliveryError(`SMTP delivery failed: ${reason}`, {
    permanent: false,
    kind: 'protocol',
    cause: error,
  });
}

function safeReason(err: NodemailerError): string {
  const text = typeof err.message === 'string' && err.message ? err.message : 'unknown error';
  // Replies can be long; keep the attempt record readable.
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
