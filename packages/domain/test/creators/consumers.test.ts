import type { Database } from '@atrium/db';
import { redisAvailable, useTestDatabase, useTestRedis } from '@atrium/testkit';
import { createTestOrg, createTestUser, outboxEnvelope, sessionOf } from '@atrium/testkit/factories';
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAuthState } from '../../src/access/authorization.ts';
import {
  type AuthorizationCache,
  createRedisAuthorizationCache,
  noAuthorizationCache,
} from '../../src/access/authorization-cache.ts';
import type { Session } from '../../src/access/session.ts';
import { applyForCreator, approveApplication, rejectApplication } from '../../src/creators/applications.ts';
import { applyRoleGrant, creatorNextSteps, notifyCreatorApplication } from '../../src/creators/consumers.ts';
import {
  CreatorApplicationApproved,
  CreatorApplicationRejected,
  CreatorApplicationSubmitted,
  UserRolesChanged,
} from '../../src/creators/events.ts';

const APPLICATION = {
  experience: 'Five years of short documentaries about city architecture.',
  motivation: 'I want to publish a series about the buildings of this campus.',
  portfolioUrl: 'https://portfolio.example.test/me',
  socialLinks: [{ platform: 'Vimeo', url: 'https://vimeo.example.test/me' }],
};

/** An active (or disabled) member with these roles, as the session identity computes for them. */
async function member(
  db: Kysely<Database>,
  orgId: string,
  roles: string[],
  status: 'active' | 'disabled' = 'active',
): Promise<Session> {
  const user = await createTestUser(db, { orgId, roles, status, name: `User ${roles.join('+')}` });
  return sessionOf(db, user.id);
}

async function notificationsOf(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom('notifications')
    .select(['channel', 'template_key', 'variables', 'subject', 'status'])
    .where('recipient_user_id', '=', userId)
    .orderBy('channel')
    .execute();
}

describe('creator programme consumers', () => {
  const t = useTestDatabase();
  const withRedis = redisAvailable();
  const redis = withRedis ? useTestRedis() : null;
  let cache: AuthorizationCache;
  let orgId: string;
  let reviewer: Session;
  let admin: Session;

  beforeAll(async () => {
    cache = redis
      ? createRedisAuthorizationCache(redis.client, { prefix: redis.prefix, ttlSeconds: 300 })
      : noAuthorizationCache;
    orgId = (await createTestOrg(t.db, { name: 'Creators Org' })).id;
    reviewer = await member(t.db, orgId, ['editor']);
    admin = await member(t.db, orgId, ['admin']);
  });

  const deps = () => ({ db: t.db, authzCache: cache });

  it('a new application notifies every active reviewer of the org in-app — once, however often it is delivered', async () => {
    const applicant = await member(t.db, orgId, ['viewer']);
    const away = await member(t.db, orgId, ['editor'], 'disabled');
    const otherOrg = (await createTestOrg(t.db, { name: 'Elsewhere' })).id;
    const foreignReviewer = await member(t.db, otherOrg, ['editor']);
    const application = await applyForCreator({ db: t.db }, applicant, APPLICATION);

    const event = await outboxEnvelope(t.db, CreatorApplicationSubmitted, {
      matches: (payload) => payload.applicationId === application.id,
    });
    const first = await notifyCreatorApplication(deps(), event);
    expect(first.processed).toBe(true);
    for (const staff of [reviewer, admin]) {
      const notices = await notificationsOf(t.db, staff.userId);
      expect(notices.filter((n) => n.subject === 'New creator application')).toHaveLength(1);
      expect(notices[0]).toMatchObject({ channel: 'in_app', status: 'pending' });
    }
    for (const nobody of [applicant, away, foreignReviewer]) {
      expect(await notificationsOf(t.db, nobody.userId)).toEqual([]);
    }
    expect(await notifyCreatorApplication(deps(), event)).toEqual({
      processed: false,
      reason: 'already-processed',
    });
    expect(
      (await notificationsOf(t.db, reviewer.userId)).filter((n) => n.subject === 'New creator application'),
    ).toHaveLength(1);
  });

  it('the roles consumer grants creator add-only, bumps the permission version once and refreshes the cache', async () => {
    const applicant = await member(t.db, orgId, ['viewer', 'publisher']);
    const application = await applyForCreator({ db: t.db }, applicant, APPLICATION);
    await approveApplication({ db: t.db }, reviewer, { id: application.id, notes: 'Strong portfolio' });
    const grant = await outboxEnvelope(t.db, UserRolesChanged, {
      matches: (payload) => payload.cause.id === application.id,
    });
    expect(grant.payload).toEqual({
      userId: applicant.userId,
      add: ['creator'],
      cause: { type: 'creator_application', id: application.id },
    });

    expect(await applyRoleGrant(deps(), grant)).toEqual({ processed: true, added: ['creator'] });
    const after = await loadAuthState(t.db, applicant.userId);
    expect(after?.roles).toEqual(['creator', 'publisher', 'viewer']);
    expect(after?.pv).toBe(applicant.permissionVersion + 1);
    expect(after?.permissions).toContain('content.write');
    if (withRedis) expect(await cache.get(applicant.userId)).toEqual(after);

    // Redelivered: nothing changes.
    expect(await applyRoleGrant(deps(), grant)).toEqual({ processed: false, reason: 'already-processed' });
    // Another grant of a role the user holds: processed, nothing added, no pv bump.
    const again = { ...grant, eventId: crypto.randomUUID() };
    expect(await applyRoleGrant(deps(), again)).toEqual({ processed: true, added: [] });
    expect((await loadAuthState(t.db, applicant.userId))?.pv).toBe(applicant.permissionVersion + 1);
  });

  it('approval queues the creator-approved email and in-app notice with the application’s variables', async () => {
    const applicant = await member(t.db, orgId, ['viewer']);
    const application = await applyForCreator({ db: t.db }, applicant, APPLICATION);
    const approved = await approveApplication({ db: t.db }, reviewer, { id: application.id });
    const event = await outboxEnvelope(t.db, CreatorApplicationApproved, {
      matches: (payload) => payload.applicationId === application.id,
    });
    const result = await notifyCreatorApplication(deps(), event);
    expect(result.processed && result.notificationIds).toHaveLength(2);
    const notices = await notificationsOf(t.db, applicant.userId);
    expect(notices.map((n) => [n.channel, n.template_key])).toEqual([
      ['email', 'creator-approved'],
      ['in_app', 'creator-approved'],
    ]);
    const approvedAt = approved.reviewedAt?.toISOString().slice(0, 16).replace('T', ' ');
    for (const notice of notices) {
      expect(notice.variables).toMatchObject({
        applicationId: application.id,
        approvedAt: `${approvedAt} UTC`,
        roleName: 'creator',
        nextSteps: creatorNextSteps(),
      });
    }
    expect(await notifyCreatorApplication(deps(), event)).toEqual({
      processed: false,
      reason: 'already-processed',
    });
    expect(await notificationsOf(t.db, applicant.userId)).toHaveLength(2);
  });

  it('rejection queues the creator-rejected email and in-app notice with the reason', async () => {
    const applicant = await member(t.db, orgId, ['viewer']);
    const application = await applyForCreator({ db: t.db }, applicant, APPLICATION);
    await rejectApplication({ db: t.db }, admin, {
      id: application.id,
      reason: 'Please add a portfolio first',
    });
    const event = await outboxEnvelope(t.db, CreatorApplicationRejected, {
      matches: (payload) => payload.applicationId === application.id,
    });
    await notifyCreatorApplication(deps(), event);
    const notices = await notificationsOf(t.db, applicant.userId);
    expect(notices.map((n) => [n.channel, n.template_key])).toEqual([
      ['email', 'creator-rejected'],
      ['in_app', 'creator-rejected'],
    ]);
    expect(notices[0]?.variables).toMatchObject({
      applicationId: application.id,
      reason: 'Please add a portfolio first',
    });
    // The role consumer never sees a rejection: no UserRolesChanged was written for it.
    const grants = await t.db
      .selectFrom('outbox_events')
      .select('payload')
      .where('type', '=', 'UserRolesChanged')
      .execute();
    expect(grants.some((row) => (row.payload as { cause: { id: string } }).cause.id === application.id)).toBe(
      false,
    );
  });
});
