import type { Database } from '@atrium/db';
import { queueCatalogue, subscriptionsByEventType } from '@atrium/domain';
import { envelopeOf } from '@atrium/domain/events/envelope';
import {
  spawnNode,
  testRedisUrl,
  unpublishEvents,
  useSmtpReceiver,
  useTestDatabase,
  waitFor,
  waitUntilPublished,
} from '@atrium/testkit';
import { createTestOrg, createTestUser, type TestUser } from '@atrium/testkit/factories';
import { type QueueHandlers, queueHandlers, type RunningWorker, startWorker } from '@atrium/worker';
import { createNotificationsDispatchHandler } from '@atrium/worker/handlers/notifications';
import type { ClaimedEvent } from '@atrium/worker/relay';
import { fastNotificationsDispatch, testWorkerEnv } from '@atrium/worker/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../src/server.ts';
import { type CallResult, call, cookieValue, login } from './auth-helpers.ts';
import { testApiEnv } from './helpers.ts';
import { type Subscription, settle, subscribeEvents } from './realtime-client.ts';

/**
 * The creator programme end to end (SPEC §3), with every engine real: the API over HTTP, the worker
 * (relay → pg-boss → consumers → notifications dispatch → SMTP), PostgreSQL, Redis when the run has
 * it, and SSE for the live hints. Nothing here calls a consumer by hand.
 *
 * The worker runs the application's catalogue and handlers, except that `notifications.dispatch`
 * retries fast (2 retries, 1 s apart) so the SMTP-outage case finishes in seconds.
 */
const catalogue = { ...queueCatalogue, 'notifications.dispatch': fastNotificationsDispatch };
const handlers = {
  ...queueHandlers,
  'notifications.dispatch': createNotificationsDispatchHandler(fastNotificationsDispatch),
} as QueueHandlers<typeof catalogue>;

/** The built-in `creator-approved` email template (notifications migration) must follow SPEC §3. */
const SPEC_SUBJECT = 'SPEC §3: the creator-approved email is "Content Creator Application Approved"';
const SPEC_BODY =
  'SPEC §3: the creator-approved email shows application id, approved at, role name and next steps';

const APPLICATION = {
  experience: 'Three years filming and editing short documentaries for a city magazine.',
  motivation: 'I would like to publish a monthly series about the people who work in this building.',
  portfolioUrl: 'https://portfolio.example.test/vera',
  socialLinks: [{ platform: 'YouTube', url: 'https://youtube.example.test/@vera' }],
};

/** A signed-in client as the web app keeps it: access token in memory, refresh token in the cookie. */
interface Client {
  user: TestUser;
  accessToken: string;
  refreshToken: string;
  /** Refreshes the client performed after a 401 TOKEN_STALE. */
  refreshes: number;
}

describe('creator programme, end to end', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  const prefix = `t:cf:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}:`;
  let api: RunningApi;
  let worker: RunningWorker | null = null;
  let orgId: string;
  let staff: Client;
  const open: Subscription[] = [];

  const workerEnvVars = (): Record<string, string | undefined> => ({
    SMTP_URL: smtp.url,
    REDIS_PREFIX: prefix,
    REDIS_URL: testRedisUrl() ?? undefined,
  });
  const workerEnv = () => testWorkerEnv(t.url, workerEnvVars());
  const startTheWorker = () => startWorker(workerEnv(), { queues: { catalogue, handlers } });

  /** The worker as its own process (`node src/main.ts`), for a kill -9. */
  async function spawnWorker(env: Record<string, string | undefined>) {
    const child = spawnNode('src/main.ts', {
      cwd: new URL('../../worker/', import.meta.url),
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: t.url,
        DATABASE_POOL_SIZE: '4',
        WORKER_OPS_PORT: '0',
        WORKER_POLL_SECONDS: '0.5',
        WORKER_CONTROLS_POLL_MS: '200',
        RELAY_POLL_MS: '200',
        LOG_LEVEL: 'info',
        ...env,
      },
    });
    await child.waitForOutput('worker started');
    return child;
  }

  beforeAll(async () => {
    api = await startApi(
      testApiEnv(t.url, {
        REDIS_PREFIX: prefix,
        JWT_SECRET: 'creator-flow-secret-0123456789-abcdefghijk',
        REALTIME_REVALIDATE_SECONDS: '5',
      }),
    );
    orgId = (await createTestOrg(t.db, { name: 'Lumen Media' })).id;
    staff = await signIn(await createTestUser(t.db, { orgId, roles: ['editor'], name: 'Sam Staff' }));
  });
  afterEach(async () => {
    for (const subscription of open.splice(0)) subscription.close();
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
  });

  async function signIn(user: TestUser): Promise<Client> {
    const session = await login(api, user);
    return { user, accessToken: session.accessToken, refreshToken: session.refreshToken, refreshes: 0 };
  }

  /** A call the way the web client makes it: on 401 TOKEN_STALE it refreshes once and retries. */
  async function clientCall<T>(
    client: Client,
    path: string,
    options: { type?: 'query' | 'mutation'; input?: unknown } = {},
  ): Promise<CallResult<T> & { firstCode: string | undefined }> {
    const first = await call<T>(api, path, { ...options, token: client.accessToken });
    if (first.status !== 401 || first.code !== 'TOKEN_STALE') return { ...first, firstCode: first.code };
    const refreshed = await call<{ accessToken: string }>(api, 'auth.refresh', {
      cookie: client.refreshToken,
    });
    if (refreshed.status !== 200) throw new Error(`refresh failed: ${refreshed.status} ${refreshed.code}`);
    client.accessToken = refreshed.data.accessToken;
    client.refreshToken = cookieValue(refreshed.refreshCookie) ?? client.refreshToken;
    client.refreshes += 1;
    const retried = await call<T>(api, path, { ...options, token: client.accessToken });
    return { ...retried, firstCode: first.code };
  }

  function subscribe(client: Client): Subscription {
    const subscription = subscribeEvents(api.url, () => client.accessToken);
    open.push(subscription);
    return subscription;
  }

  async function started(subscription: Subscription, count: number) {
    await subscription.started;
    await waitFor(() => api.services.realtime.hub.subscriberCount() >= count, { what: 'the stream' });
  }

  async function applicant(name: string): Promise<{ client: Client; applicationId: string }> {
    const client = await signIn(await createTestUser(t.db, { orgId, roles: ['viewer'], name }));
    const applied = await clientCall<{ id: string }>(client, 'creators.submitApplication', {
      type: 'mutation',
      input: APPLICATION,
    });
    expect(applied.status).toBe(200);
    return { client, applicationId: applied.data.id };
  }

  const approve = (applicationId: string) =>
    clientCall<{ status: string; reviewedAt: string }>(staff, 'creators.approve', {
      type: 'mutation',
      input: { id: applicationId, notes: 'Welcome aboard' },
    });

  const rolesOf = async (userId: string) =>
    (
      await t.db
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .select('roles.name')
        .where('user_roles.user_id', '=', userId)
        .orderBy('roles.name')
        .execute()
    ).map((row) => row.name);

  const notificationsOf = (userId: string) =>
    t.db
      .selectFrom('notifications')
      .selectAll()
      .where('recipient_user_id', '=', userId)
      .orderBy('channel')
      .execute();

  const mailsTo = (email: string) => smtp.messages.filter((message) => message.to.includes(email));

  it('a viewer applies, staff approve, and the same access token reaches a creator-only procedure at once', async () => {
    worker ??= await startTheWorker();
    const { seq: seqBefore } = await t.db
      .selectFrom('outbox_events')
      .select((eb) => eb.fn.coalesce(eb.fn.max('seq'), sql<string>`0`).as('seq'))
      .executeTakeFirstOrThrow();
    const staffLive = subscribe(staff);
    await started(staffLive, 1);

    const { client: vera, applicationId } = await applicant('Vera Viewer');
    const tokenAtSignIn = vera.accessToken;
    const before = await clientCall(vera, 'creators.myContent', { type: 'query' });
    expect(before.status).toBe(403);

    // Staff hear about it: live, and as an in-app notice delivered by the worker.
    await staffLive.waitFor((e) => e.type === 'creator.application.submitted', 10_000);
    const staffNotice = await waitFor(
      async () => (await notificationsOf(staff.user.id)).find((n) => n.status === 'sent'),
      { what: 'the staff notice' },
    );
    expect(staffNotice).toMatchObject({ channel: 'in_app', subject: 'New creator application' });

    const veraLive = subscribe(vera);
    await started(veraLive, 2);
    const approved = await approve(applicationId);
    expect(approved.status).toBe(200);
    expect(approved.data.status).toBe('approved');

    // The roles consumer tells the applicant's session, live, that its roles changed…
    const rolesChanged = await veraLive.waitFor((e) => e.type === 'user.roles_changed', 10_000);
    expect(rolesChanged.payload).toEqual({ userId: vera.user.id, added: ['creator'] });
    // …and the very next call, with the token from before the approval, succeeds at a creator-only
    // procedure: 401 TOKEN_STALE → auth.refresh → retry, no new sign-in.
    expect(vera.accessToken).toBe(tokenAtSignIn);
    const content = await clientCall(vera, 'creators.myContent', { type: 'query' });
    expect(content.firstCode).toBe('TOKEN_STALE');
    expect(content.status).toBe(200);
    expect(content.data).toEqual({ items: [], nextCursor: null });
    expect(vera.refreshes).toBe(1);
    const me = await clientCall<{ roles: string[]; permissions: string[] }>(vera, 'users.me', {
      type: 'query',
    });
    expect(me.data.roles).toEqual(['creator', 'viewer']);
    expect(me.data.permissions).toContain('content.write');
    expect(await rolesOf(vera.user.id)).toEqual(['creator', 'viewer']);

    // Exactly one email, with the template's subject and the application's variables.
    const mail = await smtp.waitForMessage((m) => m.to.includes(vera.user.email), 15_000);
    expect(mail.subject, SPEC_SUBJECT).toBe('Content Creator Application Approved');
    const notices = await waitFor(
      async () => {
        const rows = await notificationsOf(vera.user.id);
        return rows.length === 2 && rows.every((row) => row.status === 'sent') ? rows : null;
      },
      { what: 'both notices sent' },
    );
    expect(notices.map((n) => [n.channel, n.template_key])).toEqual([
      ['email', 'creator-approved'],
      ['in_app', 'creator-approved'],
    ]);
    const variables = notices[0]?.variables as Record<string, string>;
    const approvedAt = `${approved.data.reviewedAt.slice(0, 16).replace('T', ' ')} UTC`;
    expect(variables).toMatchObject({ applicationId, approvedAt, roleName: 'creator' });
    // The notice points at a page that exists: Creator → My content, linked.
    expect(variables.nextSteps).toMatch(/Creator → My content \(http:\/\/[^)]+\/creator\/content\)/);
    for (const value of [applicationId, approvedAt, 'creator', variables.nextSteps ?? '']) {
      expect(mail.text, SPEC_BODY).toContain(value);
    }
    expect(mail.headers['x-atrium-notification']).toBe(notices[0]?.id);
    await veraLive.waitFor((e) => e.type === 'notification.new', 10_000);

    // Re-deliver every event of the flow, both ways, and prove that nothing changes.
    const snapshot = async () => ({
      roles: await rolesOf(vera.user.id),
      pv: (
        await t.db
          .selectFrom('users')
          .select('permission_version')
          .where('id', '=', vera.user.id)
          .executeTakeFirstOrThrow()
      ).permission_version,
      notifications: (
        await t.db.selectFrom('notifications').select('id').where('org_id', '=', orgId).execute()
      ).length,
      attempts: (await t.db.selectFrom('notification_attempts').select('notification_id').execute()).length,
      inbox: (await t.db.selectFrom('inbox').select('event_id').execute()).length,
      audit: (await t.db.selectFrom('audit_entries').select('seq').where('org_id', '=', orgId).execute())
        .length,
    });
    const settled = await snapshot();
    const events = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('seq', '>', String(seqBefore))
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'CreatorApplicationSubmitted',
        'CreatorApplicationApproved',
        'UserRolesChanged',
        'NotificationRequested',
      ]),
    );
    // (1) The operator's replay: published_at reset, the relay publishes again (job ids are
    // deterministic, so pg-boss drops copies of jobs it still has).
    const eventIds = events.map((e) => e.id);
    await unpublishEvents(t.db, eventIds);
    await waitUntilPublished(t.db, eventIds, 'the relay to publish the replay');
    // (2) Every job sent again with a fresh id, as after the first jobs were deleted by retention.
    const boss = (worker as RunningWorker).boss;
    const resent = await resendEveryJob(boss, events);
    expect(new Set(resent.map((job) => job.queue))).toEqual(
      new Set(['creators.notifications', 'creators.roles', 'notifications.dispatch']),
    );
    await waitFor(async () => (await jobStates(t.db, resent)).every((state) => state === 'completed'), {
      what: 'every re-sent job to complete',
    });
    await settle(1_000);
    expect(await snapshot()).toEqual(settled);
    expect(mailsTo(vera.user.email)).toHaveLength(1);
    expect(vera.refreshes).toBe(1);
  });

  it('a rejection mails the applicant the reviewer’s reason, through the worker and SMTP', async () => {
    worker ??= await startTheWorker();
    const { client: rita, applicationId } = await applicant('Rita Rejected');
    const reason = 'Please add two finished pieces to your portfolio first — drafts do not count.';
    const rejected = await clientCall<{ status: string }>(staff, 'creators.reject', {
      type: 'mutation',
      input: { id: applicationId, reason },
    });
    expect(rejected.status).toBe(200);
    expect(rejected.data.status).toBe('rejected');

    const mail = await smtp.waitForMessage((m) => m.to.includes(rita.user.email), 15_000);
    expect(mail.subject).toBe('Content Creator Application Not Approved');
    for (const value of ['Hello Rita Rejected', 'Lumen Media', `Reason: ${reason}`, applicationId]) {
      expect(mail.text).toContain(value);
    }
    const notices = await waitFor(
      async () => {
        const rows = await notificationsOf(rita.user.id);
        return rows.length === 2 && rows.every((row) => row.status === 'sent') ? rows : null;
      },
      { what: 'both rejection notices sent' },
    );
    expect(notices.map((n) => [n.channel, n.template_key])).toEqual([
      ['email', 'creator-rejected'],
      ['in_app', 'creator-rejected'],
    ]);
    expect(mail.headers['x-atrium-notification']).toBe(notices[0]?.id);
    expect(mailsTo(rita.user.email)).toHaveLength(1);
    expect(await rolesOf(rita.user.id)).toEqual(['viewer']);
  });

  it('SMTP down: the approval stands, the role is granted, the email is retried and then failed with every attempt recorded', async () => {
    worker ??= await startTheWorker();
    const { client: wes, applicationId } = await applicant('Wes Waiting');
    await smtp.setFailure('down');
    const approved = await approve(applicationId);
    expect(approved.status).toBe(200);

    const email = await waitFor(
      async () =>
        (await notificationsOf(wes.user.id)).find((n) => n.channel === 'email' && n.status === 'failed'),
      { what: 'the email to fail', timeoutMs: 30_000 },
    );
    const attempts = await t.db
      .selectFrom('notification_attempts')
      .select(['attempt_no', 'ok', 'error'])
      .where('notification_id', '=', email.id)
      .orderBy('attempt_no')
      .execute();
    expect(attempts.map((a) => [a.attempt_no, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(attempts.every((a) => typeof a.error === 'string' && a.error.length > 0)).toBe(true);
    expect(email.attempts).toBe(3);

    // The email is non-critical: nothing of the approval was undone.
    const row = await t.db
      .selectFrom('creator_applications')
      .select(['status', 'reviewed_by'])
      .where('id', '=', applicationId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'approved', reviewed_by: staff.user.id });
    expect(await rolesOf(wes.user.id)).toEqual(['creator', 'viewer']);
    const inApp = (await notificationsOf(wes.user.id)).find((n) => n.channel === 'in_app');
    expect(inApp?.status).toBe('sent');
    const content = await clientCall(wes, 'creators.myContent', { type: 'query' });
    expect(content.status).toBe(200);
    expect(mailsTo(wes.user.email)).toHaveLength(0);
  });

  it('worker killed mid-flow (SIGKILL after the approval commit): a new worker completes it, one email', async () => {
    await worker?.stop();
    worker = null;
    const { client: kim, applicationId } = await applicant('Kim Killed');
    // The doomed worker is a real process. Delivery is paused, so the kill lands at a known point:
    // the approval is committed, relayed and half processed (role granted, notices queued), and the
    // email not yet sent.
    await setPaused(t.db, 'notifications.dispatch', true);
    const doomed = await spawnWorker(workerEnvVars());
    try {
      const approved = await approve(applicationId);
      expect(approved.status).toBe(200);
      await waitFor(async () => (await rolesOf(kim.user.id)).includes('creator'), { what: 'the role grant' });
      await waitFor(
        async () => {
          const rows = await notificationsOf(kim.user.id);
          if (rows.length !== 2) return false;
          const published = await t.db
            .selectFrom('outbox_events')
            .select('published_at')
            .where('type', '=', 'NotificationRequested')
            .where(
              'aggregate_id',
              'in',
              rows.map((row) => row.id),
            )
            .execute();
          return published.length === 2 && published.every((row) => row.published_at !== null);
        },
        { what: 'the notices queued for delivery' },
      );
      doomed.kill('SIGKILL');
      await doomed.exited;
    } finally {
      doomed.kill('SIGKILL');
      await setPaused(t.db, 'notifications.dispatch', false);
    }
    expect((await doomed.exited).signal).toBe('SIGKILL');
    expect(mailsTo(kim.user.email)).toHaveLength(0);

    worker = await startTheWorker();
    const mail = await smtp.waitForMessage((m) => m.to.includes(kim.user.email), 20_000);
    expect(mail.subject, SPEC_SUBJECT).toBe('Content Creator Application Approved');
    await waitFor(async () => (await notificationsOf(kim.user.id)).every((n) => n.status === 'sent'), {
      what: 'all notices sent',
    });
    const content = await clientCall(kim, 'creators.myContent', { type: 'query' });
    expect(content.status).toBe(200);
    await settle(1_000);
    expect(mailsTo(kim.user.email)).toHaveLength(1);
    expect(await rolesOf(kim.user.id)).toEqual(['creator', 'viewer']);
    const grants = await t.db
      .selectFrom('inbox')
      .select('event_id')
      .where('consumer', '=', 'creators.roles')
      .execute();
    expect(new Set(grants.map((g) => g.event_id)).size).toBe(grants.length);
  });
});

/** Sends every (event, subscriber queue) job again with a fresh id; returns the new jobs. */
async function resendEveryJob(
  boss: RunningWorker['boss'],
  events: ClaimedEvent[],
): Promise<Array<{ queue: string; id: string }>> {
  const subscriptions = subscriptionsByEventType(catalogue);
  const sent: Array<{ queue: string; id: string }> = [];
  for (const event of events) {
    const envelope = envelopeOf(event);
    for (const queue of subscriptions.get(event.type) ?? []) {
      const id = await boss.send(
        queue.name,
        envelope as unknown as object,
        queue.ordered ? { singletonKey: `${event.aggregate_type}:${event.aggregate_id}` } : {},
      );
      if (!id) throw new Error(`pg-boss refused a job for ${queue.name}`);
      sent.push({ queue: queue.name, id });
    }
  }
  return sent;
}

/** Pauses or resumes a queue for every worker (what ops.queues.pause does, without the audit). */
async function setPaused(db: Kysely<Database>, queue: string, paused: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('queue_controls')
      .values({ queue, paused, paused_at: paused ? new Date() : null })
      .onConflict((oc) => oc.column('queue').doUpdateSet({ paused, paused_at: paused ? new Date() : null }))
      .execute();
    await sql`SELECT pg_notify('atrium_queue_controls', ${queue})`.execute(trx);
  });
}

async function jobStates(db: Kysely<Database>, jobs: Array<{ id: string }>): Promise<string[]> {
  const { rows } = await sql<{ state: string }>`
    SELECT state::text AS state FROM pgboss.job WHERE id = ANY(${jobs.map((job) => job.id)}::uuid[])
  `.execute(db);
  return rows.length === jobs.length ? rows.map((row) => row.state) : ['missing'];
}
