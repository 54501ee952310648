import { createSmtpMailer } from '@atrium/domain/platform/smtp-mailer';
import { type RunningMailCatcher, startMailCatcher } from '@atrium/local-engines';
import { useTestDatabase } from '@atrium/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context.ts';
import type { ApiEnv } from '../src/env.ts';
import { devRouter } from '../src/routers/dev.ts';
import { type RunningApi, startApi } from '../src/server.ts';
import { createCallerFactory } from '../src/trpc.ts';
import { callProcedure, testApiEnv } from './helpers.ts';

const createCaller = createCallerFactory(devRouter);

describe('dev.mailbox (the dev mail catcher behind the web Mailbox page)', () => {
  const t = useTestDatabase();
  let catcher: RunningMailCatcher;
  let api: RunningApi;

  beforeAll(async () => {
    catcher = await startMailCatcher();
    api = await startApi(testApiEnv(t.url, { MAIL_CATCHER_URL: catcher.httpUrl }));
  });
  afterAll(async () => {
    await api?.close();
    await catcher?.stop();
  });

  /** A caller whose API runs with a different env (production, no catcher, a dead catcher). */
  const callerWithEnv = (overrides: Partial<ApiEnv>) =>
    createCaller(
      createInnerContext({ services: { ...api.services, env: { ...api.services.env, ...overrides } } }),
    );

  it('lists caught mail newest first, gets one message in full, and clears the mailbox', async () => {
    const mailer = createSmtpMailer({ url: catcher.smtpUrl });
    try {
      await mailer.send({
        to: 'ada@example.com',
        subject: 'Verify your email',
        text: 'Your code is 123456.',
      });
      await mailer.send({
        to: 'bob@example.com',
        subject: 'Grüße ✓',
        text: 'Hello\n  Bob,   welcome.',
        html: '<p>Hello <b>Bob</b></p>',
      });
    } finally {
      await mailer.close();
    }

    const listed = await callProcedure(api.url, 'dev.mailbox.list');
    expect(listed.status).toBe(200);
    const page = listed.body.result?.data.json as {
      total: number;
      messages: Array<{
        id: string;
        subject: string;
        to: string[];
        preview: string;
        hasHtml: boolean;
        date: string;
      }>;
    };
    expect(page.total).toBe(2);
    expect(page.messages.map((m) => m.subject)).toEqual(['Grüße ✓', 'Verify your email']);
    expect(page.messages[0]).toMatchObject({
      from: 'Atrium <no-reply@atrium.local>',
      to: ['bob@example.com'],
      preview: 'Hello Bob, welcome.',
      hasHtml: true,
    });
    expect(new Date(page.messages[0]!.date).getTime()).not.toBeNaN();

    const limited = await callProcedure(api.url, 'dev.mailbox.list', { input: { limit: 1 } });
    expect((limited.body.result?.data.json as typeof page | undefined)?.messages).toHaveLength(1);

    const caller = createCaller(createInnerContext({ services: api.services }));
    const full = await caller.mailbox.get({ id: page.messages[1]!.id });
    expect(full).toMatchObject({
      subject: 'Verify your email',
      to: ['ada@example.com'],
      html: null,
      messageId: expect.stringMatching(/^<.+>$/),
    });
    expect(full.text).toContain('Your code is 123456.');
    expect(full.date).toBeInstanceOf(Date);

    const missing = await callProcedure(api.url, 'dev.mailbox.get', { input: { id: 'no-such-message' } });
    expect(missing.status).toBe(404);
    expect(missing.body.error?.json.data.code).toBe('NOT_FOUND');

    const cleared = await callProcedure(api.url, 'dev.mailbox.clear', { type: 'mutation' });
    expect(cleared.body.result?.data.json).toEqual({ deleted: 2 });
    expect(await caller.mailbox.list()).toEqual({ messages: [], total: 0 });
  });

  it('does not exist without MAIL_CATCHER_URL or in production: NOT_FOUND', async () => {
    for (const overrides of [{ MAIL_CATCHER_URL: undefined }, { NODE_ENV: 'production' as const }]) {
      const caller = callerWithEnv(overrides);
      await expect(caller.mailbox.list()).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(caller.mailbox.get({ id: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(caller.mailbox.clear()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('answers SERVICE_UNAVAILABLE when the catcher is not running', async () => {
    const caller = callerWithEnv({ MAIL_CATCHER_URL: 'http://127.0.0.1:1' });
    await expect(caller.mailbox.list()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
