import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CaughtMessage, type RunningMailCatcher, startMailCatcher } from '@atrium/local-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mailer } from '../../src/platform/mailer.ts';
import { createSmtpMailer } from '../../src/platform/smtp-mailer.ts';
import { mailerContract } from './mailer.contract.ts';

let catcher: RunningMailCatcher;
let storeDir: string;

beforeAll(async () => {
  storeDir = await mkdtemp(join(tmpdir(), 'atrium-mailbox-'));
  catcher = await startMailCatcher({ storeFile: join(storeDir, 'mailbox.json') });
});
afterAll(async () => {
  await catcher?.stop();
  await rm(storeDir, { recursive: true, force: true });
});

async function getJson<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls the catcher's HTTP API, as the API's dev.mailbox procedures read it. */
async function waitInMailbox(
  predicate: (message: CaughtMessage) => boolean,
  timeoutMs: number,
): Promise<CaughtMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await getJson<CaughtMessage[]>(`${catcher.httpUrl}/messages`);
    const found = body.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching message in the mailbox within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

mailerContract(
  'SMTP adapter → dev mail catcher',
  { url: () => catcher.smtpUrl, waitForMessage: waitInMailbox },
  (url, timeouts) => createSmtpMailer({ url, ...(timeouts ? { timeouts } : {}) }),
);

describe('dev mail catcher HTTP API', () => {
  let mailer: Mailer;
  beforeAll(() => {
    // Credentials in the URL are accepted (and ignored), as with a real provider's SMTP_URL.
    mailer = createSmtpMailer({ url: catcher.smtpUrl.replace('smtp://', 'smtp://dev:anything@') });
  });
  afterAll(() => mailer.close());

  it('lists messages newest first, gets one by id, answers 404 for an unknown id, and clears', async () => {
    await fetch(`${catcher.httpUrl}/messages`, { method: 'DELETE' });
    const first = await mailer.send({ to: 'one@example.com', subject: 'First', text: 'one' });
    const second = await mailer.send({
      to: 'two@example.com',
      subject: 'Second',
      text: 'two',
      html: '<p>two</p>',
    });

    const list = await getJson<CaughtMessage[]>(`${catcher.httpUrl}/messages`);
    expect(list.status).toBe(200);
    expect(list.body.map((m) => m.messageId)).toEqual([second.messageId, first.messageId]);
    const newest = list.body[0]!;
    expect(newest).toMatchObject({
      id: expect.any(String),
      from: 'Atrium <no-reply@atrium.local>',
      to: ['two@example.com'],
      subject: 'Second',
      text: expect.stringContaining('two'),
      html: '<p>two</p>',
    });
    expect(new Date(newest.date).getTime()).not.toBeNaN();

    const one = await getJson<CaughtMessage>(`${catcher.httpUrl}/messages/${encodeURIComponent(newest.id)}`);
    expect(one).toEqual({ status: 200, body: newest });
    const missing = await getJson<{ error: string }>(`${catcher.httpUrl}/messages/nope`);
    expect(missing.status).toBe(404);

    const cleared = await getJson<{ deleted: number }>(`${catcher.httpUrl}/messages`, { method: 'DELETE' });
    expect(cleared).toEqual({ status: 200, body: { deleted: 2 } });
    expect((await getJson<CaughtMessage[]>(`${catcher.httpUrl}/messages`)).body).toEqual([]);
    expect((await fetch(`${catcher.httpUrl}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${catcher.httpUrl}/messages`, { method: 'PUT' })).status).toBe(405);
  });

  it('keeps the mailbox in its store file across a restart, capped at the newest messages', async () => {
    const storeFile = join(storeDir, 'restart', 'mailbox.json');
    const small = await startMailCatcher({ storeFile, maxMessages: 3 });
    const smallMailer = createSmtpMailer({ url: small.smtpUrl });
    try {
      for (const n of [1, 2, 3, 4])
        await smallMailer.send({ to: 'a@example.com', subject: `n${n}`, text: 'x' });
    } finally {
      await smallMailer.close();
      await small.stop();
    }
    const stored = JSON.parse(await readFile(storeFile, 'utf8')) as { messages: CaughtMessage[] };
    expect(stored.messages.map((m) => m.subject)).toEqual(['n4', 'n3', 'n2']);

    const again = await startMailCatcher({ storeFile, maxMessages: 3 });
    try {
      const { body } = await getJson<CaughtMessage[]>(`${again.httpUrl}/messages`);
      expect(body.map((m) => m.subject)).toEqual(['n4', 'n3', 'n2']);
      await fetch(`${again.httpUrl}/messages`, { method: 'DELETE' });
    } finally {
      await again.stop();
    }
    const afterClear = JSON.parse(await readFile(storeFile, 'utf8')) as { messages: CaughtMessage[] };
    expect(afterClear.messages).toEqual([]);
  });
});
