import {
  type CaughtMessage,
  type RunningSmtpListener,
  type SmtpRejection,
  startSmtpListener,
} from '@atrium/local-engines/mail-catcher';
import { afterAll, afterEach, beforeAll } from 'vitest';

export type { CaughtMessage as ReceivedMail };

/**
 * How the receiver misbehaves:
 * - `reject-permanent`: every recipient is refused with 550 (mailbox unavailable);
 * - `reject-transient`: every recipient is refused with 451 (try again later);
 * - `down`: the listener is closed and open sessions dropped, so connections are refused;
 * - `none`: back to normal (listening again on the same port after `down`).
 */
export type SmtpFailureMode = 'none' | 'reject-permanent' | 'reject-transient' | 'down';

export interface SmtpReceiver {
  /** `smtp://127.0.0.1:<port>`: what SMTP_URL is set to. Stable across `down` and back. */
  readonly url: string;
  readonly port: number;
  /** Everything accepted so far, in arrival order. */
  readonly messages: readonly CaughtMessage[];
  readonly failure: SmtpFailureMode;
  /** The first message (already received or still to come) matching `predicate`. */
  waitForMessage(predicate?: (message: CaughtMessage) => boolean, timeoutMs?: number): Promise<CaughtMessage>;
  clear(): void;
  setFailure(mode: SmtpFailureMode): Promise<void>;
}

export interface RunningSmtpReceiver extends SmtpReceiver {
  stop(): Promise<void>;
}

const REJECTIONS: Record<'reject-permanent' | 'reject-transient', SmtpRejection> = {
  'reject-permanent': { code: 550, message: 'Mailbox unavailable (testkit: reject-permanent)' },
  'reject-transient': { code: 451, message: 'Try again later (testkit: reject-transient)' },
};

interface Waiter {
  predicate: (message: CaughtMessage) => boolean;
  resolve: (message: CaughtMessage) => void;
}

/**
 * A real SMTP server (smtp-server + mailparser, the same listener as the dev mail catcher) on an
 * ephemeral loopback port, collecting parsed messages, with switches for the failures a mail
 * provider can have. For use outside a test file's lifecycle; test files call `useSmtpReceiver()`.
 */
export async function startSmtpReceiver(): Promise<RunningSmtpReceiver> {
  const messages: CaughtMessage[] = [];
  const waiters = new Set<Waiter>();
  let failure: SmtpFailureMode = 'none';

  const listen = (port: number) =>
    startSmtpListener({
      port,
      checkRecipient: () =>
        failure === 'reject-permanent' || failure === 'reject-transient' ? REJECTIONS[failure] : null,
      onMessage: (message) => {
        messages.push(message);
        for (const waiter of waiters) {
          if (waiter.predicate(message)) {
            waiters.delete(waiter);
            waiter.resolve(message);
          }
        }
      },
    });

  let listener: RunningSmtpListener | null = await listen(0);
  const { port, url } = listener;

  return {
    url,
    port,
    get messages() {
      return messages;
    },
    get failure() {
      return failure;
    },
    waitForMessage(predicate = () => true, timeoutMs = 5_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<CaughtMessage>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = messages.map((m) => `"${m.subject}" → ${m.to.join(', ')}`).join('; ') || 'none';
          reject(new Error(`No matching message within ${timeoutMs} ms (received: ${seen})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear() {
      messages.length = 0;
    },
    async setFailure(mode) {
      failure = mode;
      if (mode === 'down') {
        const closing = listener;
        listener = null;
        await closing?.close();
      } else if (!listener) {
        listener = await listen(port);
      }
    },
    async stop() {
      const closing = listener;
      listener = null;
      await closing?.close();
    },
  };
}

/**
 * An SMTP receiver for this test file: started before its tests, stopped after them. Any failure
 * mode a test switched on is switched off again after that test. Read `url` inside tests or hooks.
 */
export function useSmtpReceiver(): SmtpReceiver {
  let receiver: RunningSmtpReceiver | undefined;
  beforeAll(async () => {
    receiver = await startSmtpReceiver();
  });
  afterEach(async () => {
    if (receiver && receiver.failure !== 'none') await receiver.setFailure('none');
  });
  afterAll(async () => {
    await receiver?.stop();
  });
  const current = (): RunningSmtpReceiver => {
    if (!receiver) throw new Error('useSmtpReceiver(): use the receiver inside a test or hook');
    return receiver;
  };
  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get messages() {
      return current().messages;
    },
    get failure() {
      return current().failure;
    },
    waitForMessage: (predicate, timeoutMs) => current().waitForMessage(predicate, timeoutMs),
    clear: () => current().clear(),
    setFailure: (mode) => current().setFailure(mode),
  };
}
