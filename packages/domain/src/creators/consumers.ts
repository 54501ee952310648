import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import { refreshAuthorizationCache } from '../access/authorization.ts';
import type { AuthorizationCache } from '../access/authorization-cache.ts';
import { activeMembers } from '../access/members.ts';
import type { EnvelopeOf } from '../events/envelope.ts';
import { consumeOnce } from '../events/inbox.ts';
import { addUserRole } from '../identity/user-admin.ts';
import { enqueueNotification, enqueueRawNotification } from '../notifications/index.ts';
import type { LogSink } from '../platform/logger.ts';
import { silentLog } from '../platform/logger.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { publishQuietly } from '../realtime/publishers.ts';
import { scoped } from '../tenancy/scoped.ts';
import type {
  CreatorApplicationApproved,
  CreatorApplicationRejected,
  CreatorApplicationSubmitted,
  UserRolesChanged,
} from './events.ts';
import { CREATOR_CONSUMER_NAMES } from './queues.ts';

/** The permission whose holders review applications and get the "new application" notice. */
export const REVIEW_PERMISSION = 'creators.review';

/** What the creator consumers need besides the event (the worker supplies it). */
export interface CreatorConsumerDeps {
  db: Kysely<Database>;
  /** The same cache the API reads: refreshed after a grant so the next request sees the new pv. */
  authzCache: AuthorizationCache;
  /** Live hints to the affected users (optional; failures are logged, never retried). */
  realtime?: RealtimePublisher | null;
  log?: LogSink;
  /** Inbox name; defaults to the queue name. */
  consumer?: string;
  /** The web app's origin, for links in notices. */
  webBaseUrl?: string;
}

// ── (a) Roles ─────────────────────────────────────────────────────────────────────────────────────

export type RolesConsumerResult =
  | { processed: false; reason: 'already-processed' | 'user-gone' }
  | { processed: true; added: string[] };

/**
 * Applies a `UserRolesChanged` grant, add-only (SPEC §3): each named role is added unless the user
 * holds it (then nothing changes, no pv bump); no role is ever removed. Through the inbox, so a
 * redelivery commits nothing twice. After the commit the user's authorisation cache is refreshed —
 * also on a redelivery, which repairs a refresh lost to a crash between commit and refresh — and the
 * user is told live (`user.roles_changed`), so the web app refreshes its token without waiting for a
 * 401 TOKEN_STALE.
 */
export async function applyRoleGrant(
  deps: CreatorConsumerDeps,
  event: EnvelopeOf<typeof UserRolesChanged>,
): Promise<RolesConsumerResult> {
  const log = deps.log ?? silentLog;
  const orgId = event.orgId;
  if (!orgId) throw new Error('UserRolesChanged without an org');
  const { userId } = event.payload;
  const outcome = await consumeOnce(
    deps.db,
    { consumer: deps.consumer ?? CREATOR_CONSUMER_NAMES.roles, eventId: event.eventId },
    async (trx) => {
      if (!(await userExists(trx, orgId, userId))) return null;
      const added: string[] = [];
      for (const roleName of event.payload.add) {
        const result = await addUserRole(trx, { orgId, userId, roleName });
        if (result.added) added.push(roleName);
      }
      return added;
    },
  );
  await refreshAuthorizationCache({ db: deps.db, authzCache: deps.authzCache }, userId);
  if (!outcome.processed) return { processed: false, reason: 'already-processed' };
  if (outcome.result === null) {
    log.info({ userId, eventId: event.eventId }, 'role grant skipped: the user no longer exists');
    return { processed: false, reason: 'user-gone' };
  }
  if (outcome.result.length > 0) {
    await publishQuietly(
      deps.realtime,
      {
        orgId,
        type: 'user.roles_changed',
        payload: { userId, added: outcome.result },
        audience: { userIds: [userId] },
      },
      log,
    );
  }
  return { processed: true, added: outcome.result };
}

// ── (b) Notifications ─────────────────────────────────────────────────────────────────────────────

export type CreatorNotificationEvent =
  | EnvelopeOf<typeof CreatorApplicationSubmitted>
  | EnvelopeOf<typeof CreatorApplicationApproved>
  | EnvelopeOf<typeof CreatorApplicationRejected>;

export type NotificationsConsumerResult =
  | { processed: false; reason: 'already-processed' | 'application-gone' }
  | { processed: true; notificationIds: string[] };

/** Where a creator's pieces are listed in the web app (Creator → My content). */
export const CREATOR_CONTENT_PATH = '/creator/content';

/**
 * What the approval notices' "next steps" say (template variable `nextSteps`): only what exists — the
 * My content page, linked when the web app's address is known. When creating content lands, this is
 * the one place to tell creators how.
 */
export function creatorNextSteps(webBaseUrl?: string): string {
  const link = webBaseUrl ? ` (${webBaseUrl.replace(/\/+$/, '')}${CREATOR_CONTENT_PATH})` : '';
  return `Your pieces are listed under Creator → My content${link}, with their review status. Your access updates by itself; there is no need to sign in again.`;
}

/**
 * Queues the notices a creator-programme event causes, through the notifications module (which
 * renders, stores and dispatches them with retries): on approval the `creator-approved` email and
 * in-app notice, on rejection `creator-rejected` (with the reason), on a new application an in-app
 * notice to every active member holding `creators.review` (the applicant excluded). All of one event
 * in one inbox transaction: a redelivery queues nothing twice.
 */
export async function notifyCreatorApplication(
  deps: CreatorConsumerDeps,
  event: CreatorNotificationEvent,
): Promise<NotificationsConsumerResult> {
  const log = deps.log ?? silentLog;
  const orgId = event.orgId;
  if (!orgId) throw new Error(`${event.type} without an org`);
  const outcome = await consumeOnce(
    deps.db,
    { consumer: deps.consumer ?? CREATOR_CONSUMER_NAMES.notifications, eventId: event.eventId },
    async (trx) => {
      const application = await scoped(trx, orgId)
        .selectFrom('creator_applications')
        .innerJoin('users', (join) =>
          join
            .onRef('users.id', '=', 'creator_applications.user_id')
            .onRef('users.org_id', '=', 'creator_applications.org_id'),
        )
        .select([
          'creator_applications.id',
          'creator_applications.user_id',
          'creator_applications.rejection_reason',
          'users.name as applicant_name',
        ])
        .where('creator_applications.id', '=', event.payload.applicationId)
        .executeTakeFirst();
      if (!application) return null;
      const ids: string[] = [];
      const to = { userId: application.user_id };
      switch (event.type) {
        case 'CreatorApplicationApproved': {
          const variables = {
            applicationId: application.id,
            approvedAt: formatUtc(event.payload.approvedAt),
            roleName: event.payload.roleName,
            nextSteps: creatorNextSteps(deps.webBaseUrl),
          };
          for (const channel of ['email', 'in_app'] as const) {
            const { id } = await enqueueNotification(trx, {
              orgId,
              channel,
              to,
              templateKey: 'creator-approved',
              variables,
            });
            ids.push(id);
          }
          break;
        }
        case 'CreatorApplicationRejected': {
          const variables = {
            applicationId: application.id,
            rejectedAt: formatUtc(event.payload.rejectedAt),
            reason: application.rejection_reason ?? '',
          };
          for (const channel of ['email', 'in_app'] as const) {
            const { id } = await enqueueNotification(trx, {
              orgId,
              channel,
              to,
              templateKey: 'creator-rejected',
              variables,
            });
            ids.push(id);
          }
          break;
        }
        case 'CreatorApplicationSubmitted': {
          for (const reviewerId of await reviewersOf(trx, orgId, application.user_id)) {
            const { id } = await enqueueRawNotification(trx, {
              orgId,
              channel: 'in_app',
              to: { userId: reviewerId },
              subject: 'New creator application',
              body: '{{applicantName}} applied to become a creator. Review the application in Creators.',
              variables: { applicantName: application.applicant_name, applicationId: application.id },
            });
            ids.push(id);
          }
          break;
        }
      }
      return ids;
    },
  );
  if (!outcome.processed) return { processed: false, reason: 'already-processed' };
  if (outcome.result === null) {
    log.info({ eventId: event.eventId, type: event.type }, 'creator notice skipped: the application is gone');
    return { processed: false, reason: 'application-gone' };
  }
  await publishQuietly(deps.realtime, liveHint(orgId, event), log);
  return { processed: true, notificationIds: outcome.result };
}

/** The live counterpart of each event: reviewers' queues and the applicant's status page refresh. */
function liveHint(orgId: string, event: CreatorNotificationEvent) {
  const { applicationId, userId } = event.payload;
  if (event.type === 'CreatorApplicationSubmitted') {
    return {
      orgId,
      type: 'creator.application.submitted',
      payload: { applicationId },
      audience: { permission: REVIEW_PERMISSION },
    };
  }
  return {
    orgId,
    type: 'creator.application.decided',
    payload: { applicationId, status: event.type === 'CreatorApplicationApproved' ? 'approved' : 'rejected' },
    audience: { userIds: [userId], permission: REVIEW_PERMISSION },
  };
}

/** Active members holding the review permission through any role, the applicant excluded. */
async function reviewersOf(
  trx: Transaction<Database>,
  orgId: string,
  applicantId: string,
): Promise<string[]> {
  const reviewers = await activeMembers(
    trx,
    { orgId, permission: REVIEW_PERMISSION },
    { exceptUserId: applicantId, limit: 500 },
  );
  return reviewers.map((reviewer) => reviewer.userId);
}

async function userExists(trx: Transaction<Database>, orgId: string, userId: string): Promise<boolean> {
  const row = await scoped(trx, orgId)
    .selectFrom('users')
    .select('id')
    .where('id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** `2026-11-29 09:30 UTC`: unambiguous in an email read anywhere. */
export function formatUtc(iso: string): string {
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
