import { createServer, type Server, type Socket } from 'node:net';
import type { ReceivedMail, SmtpFailureMode } from '@atrium/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailDeliveryError, type Mailer } from '../../src/platform/mailer.ts';
import type { SmtpTimeouts } from '../../src/platform/smtp-mailer.ts';

/**
 * The Mailer port's contract, run against every receiving end the project has: the testkit's
 * in-process receiver (with its fault switches) and the dev mail catcher (read back through its HTTP
 * API). The mailer is always the real SMTP adapter talking over a real socket.
 */
export interface MailerContractTarget {
  /** SMTP URL of the receiving end (read inside tests). */
  url(): string;
  waitForMessage(predicate: (message: ReceivedMail) => boolean, timeoutMs: number): Promise<ReceivedMail>;
  /** Receivers that can misbehave on request; the fault tests are skipped for the others. */
  setFailure?: (mode: SmtpFailureMode) => Promise<void>;
}

export type MailerFactory = (url: string, timeouts?: Partial<SmtpTimeouts>) => Mailer;

/** Nothing may take longer than the adapter's own timeouts (5 s connect/greeting), with slack. */
const BOUND_MS = 5_000;

export function mailerContract(
  name: string,
  target: MailerContractTarget,
  createMailer: MailerFactory,
): void {
  describe(`Mailer contract: ${name}`, () => {
    let mailer: Mailer;
    let tag = 0;
    const unique = (label: string) => `${label} #${++tag} ${Math.random().toString(36).slice(2, 8)}`;
    const bySubject = (subject: string) => (m: ReceivedMail) => m.subject === subject;

    beforeAll(() => {
      mailer = createMailer(target.url());
    });
    afterAll(() => mailer.close());

    it('delivers subject, text, html and recipient intact, non-ASCII included, and returns the Message-ID', async () => {
      const subject = unique('Grüße aus Zürich — 你好 ✓ 🎉');
      const text = 'Héllo Ådа,\n\nyour code is 123 456 — «merci» ☕\nSecond line.';
      const html = '<p>Héllo <strong>Ådа</strong> — 你好 ☕</p>';
      const sent = await mailer.send({
        to: 'ada@example.com',
        subject,
        text,
        html,
        headers: { 'X-Atrium-Notification': 'n-42' },
      });
      expect(sent.messageId).toMatch(/^<.+@.+>$/);

      const received = await target.waitForMessage(bySubject(subject), BOUND_MS);
      expect(received).toMatchObject({
        messageId: sent.messageId,
        subject,
        to: ['ada@example.com'],
        from: 'Atrium <no-reply@atrium.local>',
        envelope: { from: 'no-reply@atrium.local', to: ['ada@example.com'] },
      });
      expect(received.text.trimEnd()).toBe(text);
      expect(received.html?.trim()).toBe(html);
      expect(received.headers['x-atrium-notification']).toBe('n-42');
    });

    it('sends plain text alone, from the given sender', async () => {
      const subject = unique('Plain');
      await mailer.send({ to: 'bob@example.org', from: 'Ops <ops@example.org>', subject, text: 'just text' });
      const received = await target.waitForMessage(bySubject(subject), BOUND_MS);
      expect(received.from).toBe('Ops <ops@example.org>');
      expect(received.html).toBeNull();
      expect(received.text.trim()).toBe('just text');
    });

    it('keeps a line break in the subject from adding headers or recipients', async () => {
      const marker = unique('Injected');
      await mailer.send({
        to: 'carol@example.com',
        subject: `${marker}\r\nBcc: eve@evil.example`,
        text: 'x',
      });
      const received = await target.waitForMessage((m) => m.subject.startsWith(marker), BOUND_MS);
      expect(received.envelope.to).toEqual(['carol@example.com']);
      expect(received.headers.bcc).toBeUndefined();
    });

    it('refuses an invalid recipient as a permanent failure without contacting the server', async () => {
      for (const to of ['not-an-address', 'a@example.com, b@example.com', 'x@example.com\r\nBcc: y@z.com']) {
        const error = await mailer.send({ to, subject: 's', text: 't' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MailDeliveryError);
        expect(error).toMatchObject({ permanent: true, kind: 'invalid-message' });
      }
    });

    it('verifies a server that answers', async () => {
      await expect(mailer.verify()).resolves.toBeUndefined();
    });

    it('fails fast and transient when nothing listens', async () => {
      const port = await closedPort();
      const offline = createMailer(`smtp://127.0.0.1:${port}`);
      try {
        const started = Date.now();
        const error = await offline
          .send({ to: 'ada@example.com', subject: 's', text: 't' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MailDeliveryError);
        expect(error).toMatchObject({ permanent: false, kind: 'unreachable' });
        expect(Date.now() - started).toBeLessThan(BOUND_MS);
        await expect(offline.verify()).rejects.toMatchObject({ permanent: false });
      } finally {
        await offline.close();
      }
    });

    it('gives up on a server that never greets within the greeting timeout, as a transient failure', async () => {
      const silent = await startSilentServer();
      const impatient = createMailer(`smtp://127.0.0.1:${silent.port}`, { greetingMs: 300, socketMs: 1_000 });
      try {
        const started = Date.now();
        const error = await impatient
          .send({ to: 'ada@example.com', subject: 's', text: 't' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MailDeliveryError);
        expect(error).toMatchObject({ permanent: false, kind: 'timeout' });
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        await impatient.close();
        await silent.close();
      }
    });

    describe.skipIf(!target.setFailure)('when the server misbehaves', () => {
      const setFailure = (mode: SmtpFailureMode) => target.setFailure?.(mode) ?? Promise.resolve();

      it('reports a 550 rejection as permanent, and the next message goes through', async () => {
        await setFailure('reject-permanent');
        const started = Date.now();
        const error = await mailer
          .send({ to: 'gone@example.com', subject: 's', text: 't' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MailDeliveryError);
        expect(error).toMatchObject({ permanent: true, kind: 'rejected', responseCode: 550 });
        expect(Date.now() - started).toBeLessThan(BOUND_MS);

        await setFailure('none');
        const subject = unique('After rejection');
        await mailer.send({ to: 'ada@example.com', subject, text: 't' });
        await target.waitForMessage(bySubject(subject), BOUND_MS);
      });

      it('reports a 451 rejection as transient', async () => {
        await setFailure('reject-transient');
        const error = await mailer
          .send({ to: 'ada@example.com', subject: 's', text: 't' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MailDeliveryError);
        expect(error).toMatchObject({ permanent: false, kind: 'rejected', responseCode: 451 });
      });

      it('reports a server that went down as transient, and delivers again once it is back', async () => {
        // A pooled connection is open from the earlier tests: going down must drop it too.
        await setFailure('down');
        const started = Date.now();
        const error = await mailer
          .send({ to: 'ada@example.com', subject: 's', text: 't' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MailDeliveryError);
        expect(error).toMatchObject({ permanent: false });
        expect(Date.now() - started).toBeLessThan(BOUND_MS);
        await expect(mailer.verify()).rejects.toMatchObject({ permanent: false, kind: 'unreachable' });

        await setFailure('none');
        const subject = unique('Back up');
        await mailer.send({ to: 'ada@example.com', subject, text: 't' });
        await target.waitForMessage(bySubject(subject), BOUND_MS);
      });
    });
  });
}

/** A port nobody listens on (bound a moment ago, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts TCP connections and never says a word: what a hung mail server looks like. */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
