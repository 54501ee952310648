import { useSmtpReceiver, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, login, startTestApi } from './auth-helpers.ts';
import { type Subscription, settle, subscribeEvents } from './realtime-client.ts';

interface InboxPage {
  items: Array<{ id: string; subject: string; body: string; readAt: string | null; deliveredAt: string }>;
  nextCursor: string | null;
}

/**
 * The in-app inbox end to end: notifications.send (API) → outbox → worker dispatch → inbox.* (API),
 * each user seeing only their own.
 */
describe('inbox procedures', () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let api: RunningApi;
  let worker: RunningWorker;
  let adminToken: string;
  let readerToken: string;
  let bystanderToken: string;
  let readerId: string;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    worker = await startWorker(testWorkerEnv(t.url, { SMTP_URL: smtp.url }));
    const orgId = (await createTestOrg(t.db, { name: 'Inbox Org' })).id;
    const admin = await createTestUser(t.db, { orgId, roles: ['admin'] });
    const reader = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    const bystander = await createTestUser(t.db, { orgId, roles: ['viewer'] });
    readerId = reader.id;
    adminToken = (await login(api, admin)).accessToken;
    readerToken = (await login(api, reader)).accessToken;
    bystanderToken = (await login(api, bystander)).accessToken;
  });
  const streams: Subscription[] = [];
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await worker?.stop();
    await api?.close();
  });

  async function notify(subject: string, extra: Record<string, unknown> = {}): Promise<string> {
    const sent = await call<{ id: string }>(api, 'notifications.send', {
      token: adminToken,
      input: { channel: 'in_app', to: { userId: readerId }, subject, body: `About ${subject}`, ...extra },
    });
    if (sent.status !== 200) throw new Error(`send failed: ${sent.status} ${sent.message}`);
    return sent.data.id;
  }

  /** A signed-in tab's live stream, registered with the API before this returns. */
  async function liveStream(token: string): Promise<Subscription> {
    const before = api.services.realtime.hub.subscriberCount();
    const stream = subscribeEvents(api.url, () => token, { types: ['notification.read'] });
    streams.push(stream);
    await stream.started;
    await waitFor(() => api.services.realtime.hub.subscriberCount() > before, { what: 'the stream' });
    return stream;
  }

  const unread = async (token: string) =>
    (await call<{ count: number }>(api, 'inbox.unreadCount', { token, type: 'query' })).data.count;
  const inbox = (token: string, input?: Record<string, unknown>) =>
    call<InboxPage>(api, 'inbox.list', { token, type: 'query', input });

  it('lists delivered notifications newest first, counts unread, marks one and then all read', async () => {
    const first = await notify('First');
    await waitFor(async () => (await unread(readerToken)) === 1, { what: 'the first delivery' });
    // One at a time, so delivery order (the inbox's order) is known.
    const second = await notify('Second');
    await waitFor(async () => (await unread(readerToken)) === 2, { what: 'the second delivery' });
    const third = await notify('Third');
    await waitFor(async () => (await unread(readerToken)) === 3, { what: 'the third delivery' });

    const page = await inbox(readerToken, { limit: 2 });
    expect(page.status).toBe(200);
    expect(page.data.items.map((i) => i.subject)).toEqual(['Third', 'Second']);
    expect(page.data.items[0]).toMatchObject({ id: third, body: 'About Third', readAt: null });
    const rest = await inbox(readerToken, { limit: 2, cursor: page.data.nextCursor });
    expect(rest.data.items.map((i) => i.id)).toEqual([first]);
    expect(rest.data.nextCursor).toBeNull();

    const marked = await call<{ id: string; readAt: string }>(api, 'inbox.markRead', {
      token: readerToken,
      input: { id: second },
    });
    expect(marked.status).toBe(200);
    expect(marked.data.id).toBe(second);
    expect(await unread(readerToken)).toBe(2);
    // Idempotent: the first read time stays.
    const again = await call<{ readAt: string }>(api, 'inbox.markRead', {
      token: readerToken,
      input: { id: second },
    });
    expect(again.data.readAt).toEqual(marked.data.readAt);
    const unreadOnly = await inbox(readerToken, { unreadOnly: true });
    expect(unreadOnly.data.items.map((i) => i.id)).toEqual([third, first]);

    const all = await call<{ updated: number }>(api, 'inbox.markAllRead', { token: readerToken });
    expect(all.data).toEqual({ updated: 2 });
    expect(await unread(readerToken)).toBe(0);
  });

  it("marking read reaches the reader's other tabs live (notification.read), once, and nobody else's", async () => {
    const otherTab = await liveStream(readerToken);
    const bystanderTab = await liveStream(bystanderToken);
    const id = await notify('Read elsewhere');
    await waitFor(async () => (await unread(readerToken)) === 1, { what: 'the delivery' });

    await call(api, 'inbox.markRead', { token: readerToken, input: { id } });
    const read = await otherTab.waitFor((event) => event.type === 'notification.read');
    expect(read.payload).toEqual({ ids: [id] });
    // Marking it again changes nothing and announces nothing.
    await call(api, 'inbox.markRead', { token: readerToken, input: { id } });
    await notify('Also read elsewhere');
    await waitFor(async () => (await unread(readerToken)) === 1, { what: 'the second delivery' });
    await call(api, 'inbox.markAllRead', { token: readerToken });
    const all = await otherTab.waitFor((event) => event.type === 'notification.read' && event !== read);
    expect(all.payload).toEqual({ all: true, updated: 1 });
    // Nothing was left unread: no event.
    await call(api, 'inbox.markAllRead', { token: readerToken });
    await settle();
    expect(otherTab.events.map((event) => event.payload)).toEqual([{ ids: [id] }, { all: true, updated: 1 }]);
    expect(bystanderTab.events).toEqual([]);
  });

  it('is private: another user sees none of it and cannot mark it (404); email and pending ones stay out', async () => {
    const id = await notify('Private');
    await waitFor(async () => (await inbox(readerToken)).data.items.some((item) => item.id === id), {
      what: 'the delivery',
    });
    expect((await inbox(bystanderToken)).data.items).toEqual([]);
    expect(await unread(bystanderToken)).toBe(0);
    const foreign = await call(api, 'inbox.markRead', { token: bystanderToken, input: { id } });
    expect(foreign.status).toBe(404);
    expect(foreign.code).toBe('NOT_FOUND');
    const markAll = await call<{ updated: number }>(api, 'inbox.markAllRead', { token: bystanderToken });
    expect(markAll.data.updated).toBe(0);
    const reader = await inbox(readerToken);
    expect(reader.data.items.find((item) => item.id === id)?.readAt).toBeNull();

    // An email to the same user is not an inbox item.
    const email = await call<{ id: string }>(api, 'notifications.send', {
      token: adminToken,
      input: { channel: 'email', to: { userId: readerId }, subject: 'By mail', body: 'Mail only' },
    });
    await smtp.waitForMessage((m) => m.subject === 'By mail', 15_000);
    await waitFor(
      async () =>
        (
          await call<{ status: string }>(api, 'notifications.get', {
            token: adminToken,
            input: { id: email.data.id },
          })
        ).data.status === 'sent',
      { what: 'the email to be sent' },
    );
    expect((await inbox(readerToken)).data.items.some((item) => item.id === email.data.id)).toBe(false);

    // A scheduled in-app notification is not in the inbox before its time.
    const later = await notify('Later', { scheduleAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await inbox(readerToken)).data.items.some((item) => item.id === later)).toBe(false);
    const notYet = await call(api, 'inbox.markRead', { token: readerToken, input: { id: later } });
    expect(notYet.status).toBe(404);
    expect((await call(api, 'inbox.list', { token: '', type: 'query' })).status).toBe(401);
  });

  it('the recipient reads a sensitive notification in full; admins see it redacted', async () => {
    const id = await notify('Door code', {
      body: 'The code is {{code}}',
      variables: { code: '4711' },
      sensitive: true,
    });
    const item = await waitFor(
      async () => (await inbox(readerToken)).data.items.find((entry) => entry.id === id),
      { what: 'the sensitive delivery' },
    );
    expect(item).toMatchObject({ subject: 'Door code', body: 'The code is 4711' });
    const admin = await call(api, 'notifications.get', { token: adminToken, input: { id } });
    expect(admin.data).toMatchObject({ redacted: true, status: 'sent' });
    expect(JSON.stringify(admin.body)).not.toContain('4711');
  });
});
