import pg from 'pg';

/**
 * A dedicated PostgreSQL session that LISTENs on some channels and comes back by itself when the
 * connection is lost (keep-alive, reconnect with exponential backoff up to `maxBackoffMs`).
 *
 * NOTIFY is not durable: whatever was announced while no session listened is gone. Users therefore
 * pair a listener with a poll, and `onListening` runs after every successful (re)connection so they
 * can catch up on what they may have missed.
 */
export interface PgListener {
  /** True while a session is connected and listening. */
  listening(): boolean;
  /** Ends the session and stops reconnecting. */
  stop(): Promise<void>;
}

export interface PgListenerOptions {
  connectionString: string;
  applicationName: string;
  channels: readonly string[];
  onNotification(message: { channel: string; payload: string | undefined }): void;
  /** After LISTEN succeeded; `reconnected` is false the first time. */
  onListening?(info: { reconnected: boolean }): void;
  /** The session was lost (or could not be opened); the next attempt is in `retryInMs`. */
  onLost?(error: unknown, retryInMs: number): void;
  maxBackoffMs?: number;
  /** Connecting (per attempt) may take this long; default 5 s. */
  connectTimeoutMs?: number;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

/** Opens the first session before resolving; when that fails it keeps retrying in the background. */
export async function startPgListener(options: PgListenerOptions): Promise<PgListener> {
  for (const channel of options.channels) {
    if (!CHANNEL_NAME.test(channel)) throw new Error(`invalid LISTEN channel name: ${channel}`);
  }
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  let running = true;
  let client: pg.Client | null = null;
  let isListening = false;
  let attempt = 0;
  let everListened = false;
  let reconnectTimer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    if (!running) return;
    const session = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    });
    client = session;
    let lost = false;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      isListening = false;
      if (client === session) client = null;
      session.end().catch(() => {});
      if (!running) return;
      const delay = Math.min(maxBackoffMs, 250 * 2 ** Math.min(attempt, 6));
      attempt += 1;
      options.onLost?.(error, delay);
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(() => void connect(), delay);
      reconnectTimer.unref();
    };
    session.on('error', onLost);
    session.on('end', () => onLost(new Error('connection ended')));
    session.on('notification', (message) =>
      options.onNotification({ channel: message.channel, payload: message.payload }),
    );
    try {
      await session.connect();
      for (const channel of options.channels) await session.query(`LISTEN ${channel}`);
      if (lost) return;
      isListening = true;
      attempt = 0;
      options.onListening?.({ reconnected: everListened });
      everListened = true;
    } catch (error) {
      onLost(error);
    }
  }

  await connect();
  return {
    listening: () => isListening,
    async stop() {
      running = false;
      clearTimeout(reconnectTimer);
      const session = client;
      client = null;
      isListening = false;
      if (session) await session.end().catch(() => {});
    },
  };
}
