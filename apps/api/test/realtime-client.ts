import { createTRPCClient, httpSubscriptionLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '../src/router.ts';

/**
 * A browser's EventSource for Node (which has none without `--experimental-eventsource`), following
 * the HTML spec where tRPC's client depends on it: `Accept: text/event-stream`, the `event`, `data`,
 * `id` and `retry` fields, `lastEventId` on every message, and — when the stream ends or the
 * connection drops — `readyState = CONNECTING`, an `error` event and a reconnect with the
 * `Last-Event-ID` header after the retry delay. A response that is not a 200 event stream closes it.
 * It stands in for the browser, not for any of our engines.
 */
export class NodeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readonly url: string;
  readyState = 0;
  /** How many HTTP connections this source opened (1 + reconnects). */
  connections = 0;
  #listeners = new Map<string, Set<(event: SseEvent) => void>>();
  #lastEventId = '';
  #retryMs = 100;
  #abort: AbortController | null = null;

  constructor(url: string | URL) {
    this.url = String(url);
    NodeEventSource.instances.add(this);
    void this.#connect();
  }

  /** Every source ever opened (tests drop connections through it). */
  static readonly instances = new Set<NodeEventSource>();

  addEventListener(type: string, listener: (event: SseEvent) => void): void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
  }

  removeEventListener(type: string, listener: (event: SseEvent) => void): void {
    this.#listeners.get(type)?.delete(listener);
  }

  close(): void {
    this.readyState = this.CLOSED;
    this.#abort?.abort();
    NodeEventSource.instances.delete(this);
  }

  /** Drops the current connection the way a network failure would; the source reconnects. */
  dropConnection(): void {
    this.#abort?.abort();
  }

  #dispatch(type: string, event: SseEvent): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }

  async #connect(): Promise<void> {
    if (this.readyState === this.CLOSED) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.connections += 1;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (this.#lastEventId) headers['last-event-id'] = this.#lastEventId;
      const response = await fetch(this.url, { headers, signal: abort.signal });
      const type = response.headers.get('content-type') ?? '';
      if (response.status !== 200 || !type.startsWith('text/event-stream') || !response.body) {
        this.readyState = this.CLOSED;
        this.#dispatch('error', { type: 'error', data: `HTTP ${response.status}`, lastEventId: '' });
        return;
      }
      this.readyState = this.OPEN;
      this.#dispatch('open', { type: 'open', data: '', lastEventId: this.#lastEventId });
      await this.#read(response.body);
    } catch {
      // A dropped connection: reconnect below unless closed.
    }
    if (this.readyState === this.CLOSED) return;
    this.readyState = this.CONNECTING;
    this.#dispatch('error', { type: 'error', data: '', lastEventId: this.#lastEventId });
    setTimeout(() => void this.#connect(), this.#retryMs);
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let eventType = '';
    let data: string[] = [];
    for await (const chunk of body) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        newline = buffer.search(/\r\n|\r|\n/);
        if (line === '') {
          if (data.length > 0 && this.readyState !== this.CLOSED) {
            this.#dispatch(eventType || 'message', {
              type: eventType || 'message',
              data: data.join('\n'),
              lastEventId: this.#lastEventId,
            });
          }
          eventType = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') eventType = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\0')) this.#lastEventId = value;
        else if (field === 'retry' && /^\d+$/.test(value)) this.#retryMs = Number(value);
      }
    }
  }
}

export interface SseEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** One event as `events.subscribe` delivers it (a tracked message). */
export interface ReceivedEvent {
  id: string;
  type: string;
  payload: unknown;
  at: string;
  /** performance.now() when the client received it. */
  receivedAt: number;
}

export interface Subscription {
  readonly events: ReceivedEvent[];
  /** Errors the subscription ended with (e.g. a 401 TOKEN_STALE), with their machine code. */
  readonly errors: Array<{ code: string | undefined; message: string }>;
  /** Resolves once the server has accepted the stream. */
  started: Promise<void>;
  /** The first event (already received or still to come) matching `predicate`. */
  waitFor(predicate: (event: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  waitForError(timeoutMs?: number): Promise<{ code: string | undefined; message: string }>;
  source(): NodeEventSource | null;
  close(): void;
}

/**
 * Subscribes to `events.subscribe` the way the web app does: tRPC's `httpSubscriptionLink` with the
 * access token in `connectionParams` (read on every (re)connect), superjson, tracked events.
 */
export function subscribeEvents(
  baseUrl: string,
  token: () => string,
  input: { types?: string[]; lastEventId?: string } | undefined = undefined,
): Subscription {
  let source: NodeEventSource | null = null;
  class TrackingEventSource extends NodeEventSource {
    constructor(url: string | URL) {
      super(url);
      source = this;
    }
  }
  const client = createTRPCClient<AppRouter>({
    links: [
      httpSubscriptionLink({
        url: `${baseUrl}/trpc`,
        transformer: superjson,
        connectionParams: async () => ({ token: token() }),
        EventSource: TrackingEventSource as unknown as typeof EventSource,
      }),
    ],
  });
  const events: ReceivedEvent[] = [];
  const errors: Array<{ code: string | undefined; message: string }> = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const subscription = client.events.subscribe.subscribe(input, {
    onStarted: () => markStarted(),
    onData: (tracked) => {
      events.push({ id: tracked.id, ...tracked.data, receivedAt: performance.now() });
      notify();
    },
    onError: (error) => {
      const data = error.data as { code?: string } | undefined;
      errors.push({ code: data?.code, message: error.message });
      notify();
    },
  });
  const wait = <T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> => {
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = find();
        if (value === undefined) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(
          new Error(
            `${what} within ${timeoutMs} ms (events: ${events.map((e) => e.type).join(', ') || 'none'})`,
          ),
        );
      }, timeoutMs);
      listeners.add(check);
    });
  };
  return {
    events,
    errors,
    started,
    waitFor: (predicate, timeoutMs = 5_000) =>
      wait(() => events.find(predicate), 'no matching event', timeoutMs),
    waitForError: (timeoutMs = 5_000) => wait(() => errors[0], 'no error', timeoutMs),
    source: () => source,
    close: () => {
      subscription.unsubscribe();
      source?.close();
    },
  };
}

/** Gives in-flight deliveries a moment, for asserting that something did NOT arrive. */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
