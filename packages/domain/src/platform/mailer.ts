import { AppError } from '../errors.ts';

/**
 * The Mailer port (SPEC §0 Email, §6): how identity and the notification dispatcher hand an email to
 * whatever delivers it. The SMTP adapter (`smtp-mailer.ts`) is the one production adapter; the dev
 * mail catcher and the testkit receiver are SMTP servers it talks to, so every environment runs the
 * same code path down to the socket.
 */
export interface MailMessage {
  /** One bare address (`ada@example.com`); anything else is refused as a permanent failure. */
  to: string;
  /** Defaults to the adapter's From (MAIL_FROM, else `Atrium <no-reply@atrium.local>`). */
  from?: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra headers (e.g. `List-Unsubscribe`, `X-Atrium-Notification`); names must be header tokens. */
  headers?: Record<string, string>;
  /**
   * The Message-ID (`<id@domain>`), when the sender wants one that stays the same across retries:
   * a resend after an unknown outcome is then recognisably the same message. Made up by the adapter
   * when absent.
   */
  messageId?: string;
}

export interface Mailer {
  /**
   * Delivers one message to the mail server and resolves with its Message-ID (angle brackets
   * included) once the server accepted it. Rejects with a MailDeliveryError only.
   */
  send(message: MailMessage): Promise<{ messageId: string }>;
  /** Checks that the server answers and accepts our credentials (readiness checks, start-up). */
  verify(): Promise<void>;
  /** Closes pooled connections; in-flight deliveries finish first. */
  close(): Promise<void>;
}

export const DEFAULT_MAIL_FROM = 'Atrium <no-reply@atrium.local>';

/**
 * Why a delivery failed. The dispatcher reads `permanent` to choose between a retry with backoff and
 * `failed` + DLQ; `kind` and `responseCode` are for the attempt record and for people.
 */
export const MAIL_FAILURE_KINDS = [
  /** The message itself cannot be sent (bad recipient or header): never retried. */
  'invalid-message',
  /** The server answered with a refusal: 5xx permanent, 4xx transient. */
  'rejected',
  /** The server refused the login. 5xx (535) is permanent until someone fixes the credentials. */
  'auth',
  /** No connection (refused, reset, DNS) or the server dropped it. */
  'unreachable',
  /** Connecting, the greeting, a reply or the whole delivery took too long. */
  'timeout',
  /** Anything else the client or server got wrong (TLS, protocol); retried. */
  'protocol',
] as const;

export type MailFailureKind = (typeof MAIL_FAILURE_KINDS)[number];

export class MailDeliveryError extends AppError {
  /** true: the same message will never be accepted (SMTP 5xx, invalid recipient); do not retry. */
  readonly permanent: boolean;
  readonly kind: MailFailureKind;
  /** The SMTP reply code when the server answered (550, 451, …). */
  readonly responseCode: number | undefined;

  constructor(
    message: string,
    options: { permanent: boolean; kind: MailFailureKind; responseCode?: number; cause?: unknown },
  ) {
    super(
      options.kind === 'invalid-message'
        ? 'UNPROCESSABLE'
        : options.permanent
          ? 'BAD_GATEWAY'
          : 'UNAVAILABLE',
      message,
      {
        details: {
          service: 'smtp',
          permanent: options.permanent,
          kind: options.kind,
          ...(options.responseCode === undefined ? {} : { responseCode: options.responseCode }),
        },
        cause: options.cause,
      },
    );
    this.name = 'MailDeliveryError';
    this.permanent = options.permanent;
    this.kind = options.kind;
    this.responseCode = options.responseCode;
  }
}

export function isMailDeliveryError(error: unknown): error is MailDeliveryError {
  return error instanceof MailDeliveryError;
}

// A pragmatic bare-address check (RFC 5322 local@domain without display names, comments or lists).
// It only has to stop what would make the envelope wrong (several recipients, header breaks).
const BARE_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers the adapter composes itself; a caller setting them would corrupt the message. */
const RESERVED_HEADERS = new Set([
  'to',
  'cc',
  'bcc',
  'from',
  'sender',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

/** Throws a permanent MailDeliveryError for a message no server could accept. */
export function assertSendable(message: MailMessage): void {
  if (!BARE_ADDRESS.test(message.to)) {
    throw new MailDeliveryError('Invalid recipient address', { permanent: true, kind: 'invalid-message' });
  }
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new MailDeliveryError(`Header "${name}" cannot be set`, {
        permanent: true,
        kind: 'invalid-message',
      });
    }
    if (/[\r\n]/.test(value)) {
      throw new MailDeliveryError(`Header "${name}" contains a line break`, {
        permanent: true,
        kind: 'invalid-message',
      });
    }
  }
  if (message.messageId !== undefined && !MESSAGE_ID.test(message.messageId)) {
    throw new MailDeliveryError('Invalid Message-ID', { permanent: true, kind: 'invalid-message' });
  }
}

/** `<left@right>`, printable ASCII without spaces or angle brackets inside (RFC 5322 msg-id). */
const MESSAGE_ID = /^<[!-;=?-~]{1,200}@[!-;=?-~]{1,200}>$/;
