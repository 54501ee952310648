import { useSmtpReceiver } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { MailDeliveryError } from '../../src/platform/mailer.ts';
import {
  createSmtpMailer,
  smtpConnectionOptions,
  toMailDeliveryError,
} from '../../src/platform/smtp-mailer.ts';
import { mailerContract } from './mailer.contract.ts';

const receiver = useSmtpReceiver();

mailerContract(
  'SMTP adapter → testkit receiver',
  {
    url: () => receiver.url,
    waitForMessage: (predicate, timeoutMs) => receiver.waitForMessage(predicate, timeoutMs),
    setFailure: (mode) => receiver.setFailure(mode),
  },
  (url, timeouts) => createSmtpMailer({ url, ...(timeouts ? { timeouts } : {}) }),
);

describe('SMTP adapter configuration', () => {
  it('reads host, port, TLS mode and percent-decoded credentials from SMTP_URL', () => {
    expect(smtpConnectionOptions('smtps://user%40example.com:p%3As%2Fs@mail.example.com')).toEqual({
      host: 'mail.example.com',
      port: 465,
      secure: true,
      auth: { user: 'user@example.com', pass: 'p:s/s' },
    });
    expect(smtpConnectionOptions('smtp://127.0.0.1:1025?requireTLS=true&name=atrium.local')).toEqual({
      host: '127.0.0.1',
      port: 1025,
      secure: false,
      requireTLS: true,
      name: 'atrium.local',
    });
    expect(smtpConnectionOptions('smtp://mail.example.com').port).toBe(587);
  });

  it('refuses other schemes and unknown parameters, without echoing credentials', () => {
    expect(() => smtpConnectionOptions('http://user:secret@mail.example.com')).toThrow(
      /smtp:\/\/ or smtps:\/\//,
    );
    expect(() => smtpConnectionOptions('smtp://mail.example.com?pool=false')).toThrow(
      /unknown parameter "pool"/,
    );
    try {
      smtpConnectionOptions('https://user:secret@x');
    } catch (error) {
      expect(String(error)).not.toContain('secret');
    }
  });

  it('never logs credentials or message content when a delivery fails', async () => {
    const lines: string[] = [];
    const log = {
      info: () => {},
      error: () => {},
      warn: (f: object, m: string) => lines.push(JSON.stringify(f) + m),
    };
    const mailer = createSmtpMailer({ url: 'smtp://user:hunter2@127.0.0.1:1', log });
    await mailer
      .send({ to: 'ada@example.com', subject: 'Secret subject', text: 'secret body' })
      .catch(() => {});
    await mailer.close();
    expect(lines).toHaveLength(1);
    const line = lines.join('');
    for (const secret of ['hunter2', 'user:', 'Secret subject', 'secret body', 'ada@example.com'])
      expect(line).not.toContain(secret);
    expect(line).toContain('smtp://127.0.0.1:1');
  });
});

describe('SMTP failure classification', () => {
  const classify = (error: object) => toMailDeliveryError(Object.assign(new Error('x'), error));

  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, permanent: true }, true, 'rejected'],
    [{ code: 'EMESSAGE', responseCode: 554 }, true, 'rejected'],
    [{ code: 'EENVELOPE', responseCode: 451, permanent: false }, false, 'rejected'],
    [{ code: 'EMESSAGE', responseCode: 452 }, false, 'rejected'],
    [{ code: 'EPROTOCOL', responseCode: 503 }, false, 'rejected'],
    [{ code: 'EAUTH', responseCode: 535 }, true, 'auth'],
    [{ code: 'EAUTH', responseCode: 454 }, false, 'auth'],
    [{ code: 'EENVELOPE' }, true, 'invalid-message'],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, false, 'unreachable'],
    [{ code: 'ECONNECTION' }, false, 'unreachable'],
    [{ code: 'EDNS' }, false, 'unreachable'],
    [{ code: 'ETIMEDOUT' }, false, 'timeout'],
    [{ code: 'EABORT' }, false, 'timeout'],
    [{ code: 'ETLS' }, false, 'protocol'],
    [{}, false, 'protocol'],
  ])('%o → permanent %s, %s', (error, permanent, kind) => {
    const classified = classify(error);
    expect(classified).toBeInstanceOf(MailDeliveryError);
    expect(classified.permanent).toBe(permanent);
    expect(classified.kind).toBe(kind);
  });

  it('maps to the error taxonomy: permanent → BAD_GATEWAY, transient → UNAVAILABLE, bad input → UNPROCESSABLE', () => {
    expect(classify({ code: 'EENVELOPE', responseCode: 550 }).code).toBe('BAD_GATEWAY');
    expect(classify({ code: 'ECONNECTION' }).code).toBe('UNAVAILABLE');
    expect(classify({ code: 'EENVELOPE' }).code).toBe('UNPROCESSABLE');
  });
});
