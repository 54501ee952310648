import type { Session } from '@atrium/domain/access/session';
import { listInbox } from '@atrium/domain/notifications/inbox';
import { manualClock } from '@atrium/domain/platform/clock';
import { silentLog } from '@atrium/domain/platform/logger';
import { REALTIME_PG_CHANNEL } from '@atrium/domain/realtime/wire';
import {
  claimDueOccurrence,
  recordRunOutcome,
  type SchedulerEngineDeps,
} from '@atrium/domain/scheduling/engine';
import { createScheduleHandlerRegistry } from '@atrium/domain/scheduling/handlers';
import { SCHEDULE_QUARANTINE_NOTICE_QUEUE } from '@atrium/domain/scheduling/quarantine-notice';
import { createSchedule } from '@atrium/domain/scheduling/schedule-commands';
import {
  sleep,
  unpublishEvents,
  useSmtpReceiver,
  useTestDatabase,
  waitFor,
  waitUntilPublished,
} from '@atrium/testkit';
import {
  createTestOrg,
  createTestUser,
  jobsOf,
  type TestUser,
  type TestUserInput,
  testSession,
  uniqueEmail,
} from '@atrium/testkit/factories';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testWorkerEnv } from '../src/testing.ts';
import { type RunningWorker, startWorker } from '../src/worker.ts';

/**
 * SPEC §8 "quarantine → notice to admins", through the real pipeline: the scheduler engine
 * quarantines a failing schedule (ScheduleQuarantined in the outbox) → relay → pg-boss
 * `scheduling.quarantine-notice` → consumer → notifications rows → `notifications.dispatch` → SMTP
 * receiver and in-app inboxes, plus the live `incident.opened` over PostgreSQL NOTIFY. The worker runs
 * the application's own catalogue and handlers.
 */
const WEB_BASE_URL = 'http://atrium.example.test/app';

interface LiveEvent {
  type: string;
  orgId: string;
  payload: Record<string, unknown>;
  audience?: unknown;
}

describe('quarantine notice to the platform operators', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let worker: RunningWorker;
  let listener: PoolClient;
  const live: LiveEvent[] = [];
  let orgA: string;
  let orgB: string;
  let olga: TestUser; // operator, org A
  let otto: TestUser; // operator, org B
  let adam: TestUser; // org A admin, not an operator
  let dora: TestUser; // operator, org B, disabled

  const user = (orgId: string, label: string, extra: Omit<TestUserInput, 'orgId'> = {}) =>
    createTestUser(t.db, { orgId, name: label, email: uniqueEmail(label), ...extra });

  beforeAll(async () => {
    worker = await startWorker(testWorkerEnv(t.url, { SMTP_URL: smtp.url, WEB_BASE_URL }));
    listener = await t.pool.connect();
    listener.on('notification', (n) => {
      if (n.channel === REALTIME_PG_CHANNEL && n.payload) live.push(JSON.parse(n.payload));
    });
    await listener.query(`LISTEN ${REALTIME_PG_CHANNEL}`);
    orgA = (await createTestOrg(t.db, { name: 'Operators A' })).id;
    orgB = (await createTestOrg(t.db, { name: 'Operators B' })).id;
    olga = await user(orgA, 'olga', { platformRole: 'operator' });
    otto = await user(orgB, 'otto', { platformRole: 'operator' });
    adam = await user(orgA, 'adam', { roles: ['admin'] });
    dora = await user(orgB, 'dora', { platformRole: 'operator', status: 'disabled' });
  });
  afterAll(async () => {
    if (listener) {
      await listener.query(`UNLISTEN ${REALTIME_PG_CHANNEL}`);
      listener.release();
    }
    await worker?.stop();
  });

  /** Drives a schedule whose handler always fails to quarantine with the real engine (2 × 1 attempt). */
  const quarantineSchedule = async (name: string) => {
    const clock = manualClock(new Date());
    const handlers = createScheduleHandlerRegistry([
      {
        name: 'test.fail',
        run: async () => {
          throw new Error('boom');
        },
      },
    ]);
    const engine: SchedulerEngineDeps = {
      db: t.db,
      clock,
      nodeId: 'node-test',
      logger: silentLog,
      leaseTtlMs: 10_000,
      misfireGraceMs: 5_000,
      random: () => 0.5,
    };
    const schedule = await createSchedule(
      { db: t.db, clock, handlers },
      {
        actor: null,
        name,
        handler: 'test.fail',
        kind: 'interval',
        intervalSeconds: 60,
        maxAttempts: 1,
        maxConsecutiveFailures: 2,
      },
    );
    let quarantined = false;
    for (let occurrence = 1; occurrence <= 2; occurrence += 1) {
      clock.advance(60_000);
      const { run } = await claimDueOccurrence(engine, schedule.id);
      if (!run) throw new Error('expected a claimed run');
      const recorded = await recordRunOutcome(engine, run, {
        status: 'failed',
        error: 'boom',
        durationMs: 1,
      });
      quarantined = recorded.recorded && recorded.quarantined !== null;
    }
    expect(quarantined).toBe(true);
    return schedule;
  };

  const notificationsOf = (userId: string) =>
    t.db
      .selectFrom('notifications')
      .select(['id', 'org_id', 'channel', 'template_key', 'subject', 'body', 'status'])
      .where('recipient_user_id', '=', userId)
      .orderBy('channel')
      .execute();
  const mailsTo = (address: string) => smtp.messages.filter((m) => m.envelope.to.includes(address));
  const sessionOf = (u: TestUser): Session =>
    testSession({
      userId: u.id,
      orgId: u.orgId,
      permissions: ['scheduler.manage'],
      platformRole: 'operator',
    });

  it('each active operator gets one email and one in-app notice; others get nothing; a redelivery adds nothing', async () => {
    const schedule = await quarantineSchedule('nightly-report');
    const title = 'Schedule "nightly-report" quarantined after 2 consecutive failures';
    const path = `/ops/schedules/${schedule.id}`;
    const operators = [olga, otto];

    // Every operator's email arrives and their in-app notice is delivered.
    for (const operator of operators) {
      await smtp.waitForMessage((m) => m.envelope.to.includes(operator.email), 20_000);
      await waitFor(
        async () => (await notificationsOf(operator.id)).filter((n) => n.status === 'sent').length === 2,
        { timeoutMs: 20_000, what: `${operator.email}'s notices to be sent` },
      );
    }
    await waitFor(() => live.filter((e) => e.type === 'incident.opened').length >= 2, {
      what: 'the live incident.opened events',
    });

    const settledState = async () => ({
      olga: await notificationsOf(olga.id),
      otto: await notificationsOf(otto.id),
      adam: await notificationsOf(adam.id),
      dora: await notificationsOf(dora.id),
      mails: smtp.messages.length,
      live: live.filter((e) => e.type === 'incident.opened').length,
    });

    for (const operator of operators) {
      const rows = await notificationsOf(operator.id);
      expect(rows).toEqual([
        expect.objectContaining({
          org_id: operator.orgId,
          channel: 'email',
          template_key: 'incident-opened',
          subject: `[high] Incident opened: ${title}`,
          status: 'sent',
        }),
        expect.objectContaining({
          org_id: operator.orgId,
          channel: 'in_app',
          template_key: 'incident-opened',
          subject: `Incident opened: ${title}`,
          body: `Severity high. Details: ${path}`,
          status: 'sent',
        }),
      ]);
      const mails = mailsTo(operator.email);
      expect(mails).toHaveLength(1);
      expect(mails[0]?.subject).toBe(`[high] Incident opened: ${title}`);
      // The email links into the web app under its configured origin and base path.
      expect(mails[0]?.text).toContain(`Details: ${WEB_BASE_URL}${path}`);
      const inbox = await listInbox({ db: t.db }, sessionOf(operator), {});
      expect(inbox.items.map((item) => item.subject)).toEqual([`Incident opened: ${title}`]);
    }
    // Not an operator (though an org admin), or an operator who is disabled: nothing.
    expect(await notificationsOf(adam.id)).toEqual([]);
    expect(await notificationsOf(dora.id)).toEqual([]);
    expect(mailsTo(adam.email)).toEqual([]);
    expect(mailsTo(dora.email)).toEqual([]);

    // One live incident.opened per operator's org, for holders of scheduler.manage.
    const opened = live.filter((e) => e.type === 'incident.opened');
    expect(opened.map((e) => e.orgId).sort()).toEqual([orgA, orgB].sort());
    for (const event of opened) {
      expect(event).toMatchObject({
        audience: { permission: 'scheduler.manage' },
        payload: {
          source: 'scheduler',
          title,
          severity: 'high',
          url: path,
          scheduleId: schedule.id,
          scheduleName: 'nightly-report',
          consecutiveFailures: 2,
        },
      });
    }
    const settled = await settledState();

    // Redelivery, twice over: (1) the relay publishes the event again (an operator's replay), whose job
    // id is deterministic; (2) the job is sent again with a fresh id, as after the first job was
    // deleted by retention — this one reaches the consumer, and the inbox turns it into a no-op.
    const event = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('type', '=', 'ScheduleQuarantined')
      .where('aggregate_id', '=', schedule.id)
      .executeTakeFirstOrThrow();
    await unpublishEvents(t.db, [event.id]);
    await waitUntilPublished(t.db, [event.id], 'the relay to publish the replay');
    const [first] = (await jobsOf(t.db, SCHEDULE_QUARANTINE_NOTICE_QUEUE)).filter(
      (job) => job.data.eventId === event.id,
    );
    expect(first?.state).toBe('completed');
    const resent = await worker.boss.send(SCHEDULE_QUARANTINE_NOTICE_QUEUE, first?.data ?? {});
    if (!resent) throw new Error('the job was not sent again');
    await waitFor(
      async () =>
        (await jobsOf(t.db, SCHEDULE_QUARANTINE_NOTICE_QUEUE)).find((job) => job.id === resent)?.state ===
        'completed',
      { what: 'the re-sent job to complete' },
    );
    // Give anything a redelivery might have queued the time to be dispatched and announced.
    await sleep(1_500);
    expect(await settledState()).toEqual(settled);
    const inboxRows = await t.db
      .selectFrom('inbox')
      .select('consumer')
      .where('event_id', '=', event.id)
      .execute();
    expect(inboxRows.map((row) => row.consumer)).toEqual([SCHEDULE_QUARANTINE_NOTICE_QUEUE]);

    // A real platform incident (no org: the operators') stands behind the notice, once, redelivery or not.
    const incidents = await t.db
      .selectFrom('incidents')
      .select(['id', 'org_id', 'built_in', 'status', 'event_count', 'title'])
      .where('title', 'like', '%nightly-report%')
      .execute();
    expect(incidents).toEqual([
      expect.objectContaining({ org_id: null, built_in: true, status: 'open', event_count: 1 }),
    ]);
    expect(opened.map((e) => e.payload.incidentId)).toEqual([incidents[0]?.id, incidents[0]?.id]);
  });
});
