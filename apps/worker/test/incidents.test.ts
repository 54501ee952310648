import { REALTIME_PG_CHANNEL } from '@atrium/domain/realtime/wire';
import { useSmtpReceiver, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, createTestUser, type TestUser, uniqueEmail } from '@atrium/testkit/factories';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testWorkerEnv } from '../src/testing.ts';
import { type RunningWorker, startWorker } from '../src/worker.ts';

/**
 * The platform's own failures become incidents (SPEC §7, docs/logging.md), through the real worker:
 * a job that dead-letters → `platform.dead_letter` event → built-in rule → incident in the job's org →
 * IncidentOpened → relay → `incidents.notice` → the org's admins and the operators get the
 * `incident-opened` email (SMTP receiver) and in-app notice, and `incident.opened` goes out live.
 */
interface LiveEvent {
  type: string;
  orgId: string;
  payload: Record<string, unknown>;
  audience?: unknown;
}

describe('dead letters open platform incidents', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  const smtp = useSmtpReceiver();
  let worker: RunningWorker;
  let listener: PoolClient;
  const live: LiveEvent[] = [];
  let orgId: string;
  let admin: TestUser;
  let viewer: TestUser;
  let operator: TestUser;

  beforeAll(async () => {
    worker = await startWorker(testWorkerEnv(t.url, { SMTP_URL: smtp.url }));
    listener = await t.pool.connect();
    listener.on('notification', (n) => {
      if (n.channel === REALTIME_PG_CHANNEL && n.payload) live.push(JSON.parse(n.payload));
    });
    await listener.query(`LISTEN ${REALTIME_PG_CHANNEL}`);
    orgId = (await createTestOrg(t.db, { name: 'Dead letters' })).id;
    const operatorOrg = (await createTestOrg(t.db, { name: 'Platform team' })).id;
    admin = await createTestUser(t.db, { orgId, roles: ['admin'], email: uniqueEmail('admin') });
    viewer = await createTestUser(t.db, { orgId, roles: ['viewer'], email: uniqueEmail('viewer') });
    operator = await createTestUser(t.db, {
      orgId: operatorOrg,
      platformRole: 'operator',
      email: uniqueEmail('operator'),
    });
  });
  afterAll(async () => {
    if (listener) {
      await listener.query(`UNLISTEN ${REALTIME_PG_CHANNEL}`);
      listener.release();
    }
    await worker?.stop();
  });

  const notificationsOf = (userId: string) =>
    t.db
      .selectFrom('notifications')
      .select(['channel', 'template_key', 'status', 'subject'])
      .where('recipient_user_id', '=', userId)
      .orderBy('channel')
      .execute();

  it('a dead-lettered job is logged, opens one incident in its org and tells the admins and operators', async () => {
    // A payload the queue cannot accept: dead-lettered without running, attributed to the org.
    const jobId = await worker.boss.send('creators.notifications', { orgId, broken: true });
    expect(jobId).toBeTruthy();

    await waitFor(
      async () =>
        (await t.db.selectFrom('incidents').select('id').where('org_id', '=', orgId).execute()).length === 1,
      { timeoutMs: 20_000, what: 'the incident to open' },
    );
    const logged = await t.db
      .selectFrom('log_events')
      .select(['source', 'level', 'message', 'attributes'])
      .where('org_id', '=', orgId)
      .execute();
    expect(logged).toEqual([
      expect.objectContaining({
        source: 'platform.dead_letter',
        level: 40,
        attributes: expect.objectContaining({ queue: 'creators.notifications', jobId }),
      }),
    ]);
    const incident = await t.db
      .selectFrom('incidents')
      .selectAll()
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    expect(incident).toMatchObject({ built_in: true, status: 'open', event_count: 1 });

    for (const user of [admin, operator]) {
      await smtp.waitForMessage((m) => m.envelope.to.includes(user.email), 20_000);
      await waitFor(
        async () => (await notificationsOf(user.id)).filter((n) => n.status === 'sent').length === 2,
        { timeoutMs: 20_000, what: `${user.email}'s notices to be sent` },
      );
      const rows = await notificationsOf(user.id);
      expect(rows.map((r) => [r.channel, r.template_key])).toEqual([
        ['email', 'incident-opened'],
        ['in_app', 'incident-opened'],
      ]);
      expect(rows[1]?.subject).toContain('A job was dead-lettered');
    }
    expect(await notificationsOf(viewer.id)).toEqual([]);

    await waitFor(() => live.some((e) => e.type === 'incident.opened' && e.orgId === orgId), {
      what: 'the live incident.opened',
    });
    const event = live.find((e) => e.type === 'incident.opened' && e.orgId === orgId);
    expect(event).toMatchObject({
      audience: { permission: 'incidents.manage' },
      payload: { incidentId: incident.id, builtIn: true, url: `/admin/incidents/${incident.id}` },
    });

    // A second dead letter adds to the open incident and tells nobody again.
    await worker.boss.send('creators.notifications', { orgId, broken: 'again' });
    await waitFor(
      async () =>
        (
          await t.db
            .selectFrom('incidents')
            .select('event_count')
            .where('id', '=', incident.id)
            .executeTakeFirst()
        )?.event_count === 2,
      { timeoutMs: 20_000, what: 'the incident to count the second dead letter' },
    );
    const opened = await t.db
      .selectFrom('outbox_events')
      .select('id')
      .where('type', '=', 'IncidentOpened')
      .where('org_id', '=', orgId)
      .execute();
    expect(opened).toHaveLength(1);
  });
});
