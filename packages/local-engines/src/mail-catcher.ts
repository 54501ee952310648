import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname } from 'node:path';
import { type AddressObject, type HeaderValue, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/**
 * A message as a receiving SMTP server saw it, parsed by mailparser: what the dev mail catcher keeps
 * and serves, and what the testkit receiver collects.
 */
export interface CaughtMessage {
  id: string;
  /** The Message-ID header (with its angle brackets), as the sender's `send()` reported it. */
  messageId: string | null;
  /** The From header as text, e.g. `Atrium <no-reply@atrium.local>`. */
  from: string;
  /** Addresses of the To header. */
  to: string[];
  cc: string[];
  /** What the SMTP session carried (MAIL FROM / RCPT TO): the recipients that really got it. */
  envelope: { from: string | null; to: string[] };
  subject: string;
  /** The Date header (ISO 8601), or the arrival time when the message had none. */
  date: string;
  receivedAt: string;
  text: string;
  html: string | null;
  /** Decoded header values by lower-case name (address headers as text, dates as ISO 8601). */
  headers: Record<string, string>;
  attachments: Array<{ filename: string | null; contentType: string; size: number }>;
}

/** An SMTP reply that refuses a recipient: 5xx is permanent, 4xx asks the sender to try again. */
export interface SmtpRejection {
  code: number;
  message: string;
}

export interface SmtpListenerOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  onMessage(message: CaughtMessage): void | Promise<void>;
  /** Consulted at RCPT TO: a rejection refuses the recipient, null accepts it. */
  checkRecipient?(address: string): SmtpRejection | null;
  maxMessageBytes?: number;
}

export interface RunningSmtpListener {
  host: string;
  port: number;
  /** `smtp://host:port`, what SMTP_URL is set to. */
  url: string;
  /** Stops listening and drops open sessions at once (connections are refused afterwards). */
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * A real SMTP server (`smtp-server`) on loopback that accepts any sender and recipient and hands every
 * message, parsed, to `onMessage`. Plain SMTP only: STARTTLS is not offered, because a catcher's
 * self-signed certificate would make nodemailer's opportunistic upgrade fail its certificate check.
 * AUTH is offered but optional and accepts any credentials, so an SMTP_URL with or without
 * `user:pass@` works against it.
 */
export async function startSmtpListener(options: SmtpListenerOptions): Promise<RunningSmtpListener> {
  const host = options.host ?? '127.0.0.1';
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const sockets = new Set<Socket>();
  const server = new SMTPServer({
    name: 'atrium-mail-catcher',
    banner: 'Atrium mail catcher (development and tests only)',
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    size: maxBytes,
    logger: false,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'catcher' });
    },
    onRcptTo(address, _session, callback) {
      const rejection = options.checkRecipient?.(address.address) ?? null;
      if (!rejection) return callback();
      callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
    },
    onData(stream, session, callback) {
      parseIncoming(stream, session).then(
        async (message) => {
          if (stream.sizeExceeded) {
            callback(Object.assign(new Error('Message exceeds the size limit'), { responseCode: 552 }));
            return;
          }
          await options.onMessage(message);
          callback();
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Errors of client sockets (a sender hanging up mid-session) are the sender's problem; without a
  // listener the EventEmitter would throw them at the process.
  const ignore = () => {};
  server.on('error', ignore);

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host,
    port,
    url: `smtp://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function parseIncoming(
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
): Promise<CaughtMessage> {
  const parsed = await simpleParser(stream);
  const receivedAt = new Date().toISOString();
  const mailFrom = session.envelope.mailFrom;
  return {
    id: randomUUID(),
    messageId: parsed.messageId ?? null,
    from: parsed.from ? displayAddresses(parsed.from) : '',
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    envelope: {
      from: mailFrom ? mailFrom.address : null,
      to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
    },
    subject: parsed.subject ?? '',
    date: parsed.date ? parsed.date.toISOString() : receivedAt,
    receivedAt,
    text: parsed.text ?? '',
    html: parsed.html === false ? null : parsed.html,
    headers: headerStrings(parsed.headers),
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? null,
      contentType: a.contentType,
      size: a.size,
    })),
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  const list = Array.isArray(field) ? field : [field];
  return list.flatMap((object) =>
    object.value.flatMap((entry) => (entry.group ?? [entry]).map((member) => member.address ?? '')),
  );
}

/** `Name <address>` without the quotes mailparser's `text` adds around every display name. */
function displayAddresses(field: AddressObject): string {
  return field.value
    .map((entry) =>
      entry.name && entry.address ? `${entry.name} <${entry.address}>` : (entry.address ?? entry.name),
    )
    .join(', ');
}

function headerStrings(headers: Map<string, HeaderValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of headers) {
    const text = headerText(value);
    if (text !== null) out[key] = text;
  }
  return out;
}

function headerText(value: HeaderValue): string | null {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    const parts = (value as Array<string | { value: string }>).map((v) =>
      typeof v === 'string' ? v : v.value,
    );
    return parts.join(', ');
  }
  if ('text' in value) return value.text;
  if ('value' in value) return value.value;
  return null;
}

// ───────────────────────────── the dev mail catcher ─────────────────────────────

export interface MailCatcherOptions {
  /** Default 0: a free port. `pnpm dev` uses 1025. */
  smtpPort?: number;
  /** Default 0: a free port. `pnpm dev` uses 1080. */
  httpPort?: number;
  host?: string;
  /** Keep the mailbox across restarts in this JSON file (e.g. `.data/mailbox.json`). */
  storeFile?: string;
  /** The newest this many messages are kept; default 500. */
  maxMessages?: number;
  onLog?: (line: string) => void;
}

export interface RunningMailCatcher {
  smtpUrl: string;
  /** Base URL of the JSON API: `GET /messages`, `GET /messages/:id`, `DELETE /messages`. */
  httpUrl: string;
  smtpPort: number;
  httpPort: number;
  /** Newest first. */
  messages(): CaughtMessage[];
  stop(): Promise<void>;
}

const STORE_VERSION = 1;
const DEFAULT_MAX_MESSAGES = 500;

/**
 * The dev mail catcher (SPEC §0, Email): an SMTP server on loopback that keeps whatever is sent to
 * it, newest first, and serves it over a small JSON API that the API's `dev.mailbox.*` procedures
 * (and through them the web app's Mailbox page) read. Loopback only; nothing is ever relayed.
 */
export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<RunningMailCatcher> {
  const host = options.host ?? '127.0.0.1';
  const maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  const { storeFile, onLog } = options;
  let messages: CaughtMessage[] = storeFile ? await loadStore(storeFile, onLog) : [];
  messages = messages.slice(0, maxMessages);

  // Writes go one after another, each of the whole (small, capped) mailbox, through a temp file and
  // a rename so a crash never leaves half a file behind.
  let persisting: Promise<void> = Promise.resolve();
  const persist = () => {
    if (!storeFile) return persisting;
    const snapshot = JSON.stringify({ version: STORE_VERSION, messages });
    persisting = persisting
      .then(() => writeAtomically(storeFile, snapshot))
      .catch((error: unknown) => onLog?.(`mail catcher: could not write ${storeFile}: ${String(error)}`));
    return persisting;
  };

  const smtp = await startSmtpListener({
    host,
    port: options.smtpPort ?? 0,
    onMessage: async (message) => {
      messages = [message, ...messages].slice(0, maxMessages);
      await persist();
    },
  });

  const http = createServer((req, res) => {
    const result = route(req, {
      list: () => messages,
      get: (id) => messages.find((m) => m.id === id),
      clear: async () => {
        const deleted = messages.length;
        messages = [];
        await persist();
        return deleted;
      },
      info: () => ({ name: 'atrium-mail-catcher', smtpUrl: smtp.url, count: messages.length }),
    });
    void Promise.resolve(result).then(
      ({ status, body }) => sendJson(res, status, body),
      (error: unknown) => sendJson(res, 500, { error: String(error) }),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.httpPort ?? 0, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await smtp.close();
    throw error;
  }
  const httpPort = (http.address() as AddressInfo).port;

  return {
    smtpUrl: smtp.url,
    httpUrl: `http://${host}:${httpPort}`,
    smtpPort: smtp.port,
    httpPort,
    messages: () => [...messages],
    async stop() {
      await Promise.all([smtp.close(), closeHttp(http)]);
      await persisting;
    },
  };
}

interface MailboxOperations {
  list(): CaughtMessage[];
  get(id: string): CaughtMessage | undefined;
  clear(): Promise<number>;
  info(): Record<string, unknown>;
}

async function route(
  req: IncomingMessage,
  ops: MailboxOperations,
): Promise<{ status: number; body: unknown }> {
  const path = new URL(req.url ?? '/', 'http://catcher').pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  if (path === '/') return method === 'GET' ? { status: 200, body: ops.info() } : notAllowed();
  if (path === '/messages') {
    if (method === 'GET') return { status: 200, body: ops.list() };
    if (method === 'DELETE') return { status: 200, body: { deleted: await ops.clear() } };
    return notAllowed();
  }
  const match = /^\/messages\/([^/]+)$/.exec(path);
  if (match) {
    if (method !== 'GET') return notAllowed();
    const message = ops.get(decodeURIComponent(match[1] ?? ''));
    return message ? { status: 200, body: message } : { status: 404, body: { error: 'message not found' } };
  }
  return { status: 404, body: { error: 'not found' } };
}

function notAllowed(): { status: number; body: unknown } {
  return { status: 405, body: { error: 'method not allowed' } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function loadStore(file: string, onLog?: (line: string) => void): Promise<CaughtMessage[]> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const stored = JSON.parse(raw) as { version?: number; messages?: unknown };
    if (stored.version === STORE_VERSION && Array.isArray(stored.messages)) {
      return stored.messages as CaughtMessage[];
    }
  } catch {
    // fall through: an unreadable mailbox is only dev data
  }
  onLog?.(`mail catcher: ignoring unreadable mailbox file ${file}`);
  return [];
}

async function writeAtomically(file: string, contents: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}
