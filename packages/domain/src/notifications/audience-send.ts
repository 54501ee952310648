import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { activeMembers, type MemberSelector } from '../access/members.ts';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { UnprocessableError, ValidationError } from '../errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { type NotificationsDeps, refineNotificationContent, ZNotificationContentInput } from './admin.ts';
import { notificationKeyring } from './crypto.ts';
import { enqueueNotification, enqueueRawNotification } from './enqueue.ts';
import {
  assertNoPlatformVariables,
  assertNotPlatformTemplate,
  DEFAULT_EMAIL_QUOTA_PER_HOUR,
  loadNotificationPolicy,
  reserveEmailQuota,
} from './policy.ts';

/**
 * Notifications to an audience (docs/notifications.md): every active member holding a role, or every
 * active member of the org. The fan-out happens here, in one transaction: one notification row per
 * recipient (each rendered with the recipient's own name), all or none. Bounded, counted against the
 * email quota as a whole, idempotent on the sender's `sendId`, audited once.
 */

/** At most this many recipients per send: a bound on one transaction, and on a mistake. */
export const MAX_AUDIENCE_RECIPIENTS = 500;

export const ZAudience = z.union([
  z.object({ role: z.string().trim().min(1).max(40) }).strict(),
  z.object({ everyone: z.literal(true) }).strict(),
]);
export type Audience = z.infer<typeof ZAudience>;

export const ZAudienceReachInput = z.object({ audience: ZAudience });

export const ZSendToAudienceInput = ZNotificationContentInput.extend({
  /** Chosen by the sender's client once per send: a repeated request with it queues nothing more. */
  sendId: z.uuid(),
  audience: ZAudience,
}).superRefine(refineNotificationContent);
export type SendToAudienceInput = z.input<typeof ZSendToAudienceInput>;

export interface AudienceReach {
  /** Active members it reaches today. */
  recipients: number;
  max: number;
}

export interface AudienceSendResult {
  sendId: string;
  recipients: number;
  /** True when this sendId had already been sent: nothing new was queued. */
  alreadySent: boolean;
}

async function assertRoleExists(db: Kysely<Database>, orgId: string, audience: Audience): Promise<void> {
  if (!('role' in audience)) return;
  const role = await scoped(db, orgId)
    .selectFrom('roles')
    .select('id')
    .where('name', '=', audience.role)
    .executeTakeFirst();
  if (!role) {
    throw new ValidationError('Choose one of the organisation’s roles', {
      'audience.role': [`No role named "${audience.role}" in this organisation`],
    });
  }
}

function selectorOf(orgId: string, audience: Audience): MemberSelector {
  return 'role' in audience ? { orgId, role: audience.role } : { orgId, everyone: true };
}

async function countReach(db: Kysely<Database>, orgId: string, audience: Audience): Promise<number> {
  // One past the bound is enough to say "too many".
  const members = await activeMembers(db, selectorOf(orgId, audience), {
    limit: MAX_AUDIENCE_RECIPIENTS + 1,
  });
  return members.length;
}

/** `notifications.audienceReach {audience}`: how many people a send would reach, before sending. */
export async function audienceReach(
  deps: NotificationsDeps,
  session: Session,
  rawInput: z.input<typeof ZAudienceReachInput>,
): Promise<AudienceReach> {
  const { audience } = validateInput(ZAudienceReachInput, rawInput);
  await assertRoleExists(deps.db, session.orgId, audience);
  return { recipients: await countReach(deps.db, session.orgId, audience), max: MAX_AUDIENCE_RECIPIENTS };
}

async function existingSend(
  trx: Transaction<Database>,
  orgId: string,
  sendId: string,
): Promise<AudienceSendResult | null> {
  const row = await scoped(trx, orgId)
    .selectFrom('notification_sends')
    .select(['id', 'recipients'])
    .where('id', '=', sendId)
    .executeTakeFirst();
  return row ? { sendId: row.id, recipients: row.recipients, alreadySent: true } : null;
}

/**
 * `notifications.sendToAudience`: queues one notification per active member of the audience.
 * Refused as a whole — nothing queued — when the audience is empty or larger than
 * MAX_AUDIENCE_RECIPIENTS (422), when emails to all of them would exceed the org's hourly quota (429),
 * or for bad content (400, e.g. a missing variable). A `sendId` already used by the org answers the
 * first send's result again.
 */
export async function sendToAudience(
  deps: NotificationsDeps,
  session: Session,
  rawInput: SendToAudienceInput,
): Promise<AudienceSendResult> {
  const input = validateInput(ZSendToAudienceInput, rawInput);
  if (input.templateKey) assertNotPlatformTemplate(input.templateKey);
  assertNoPlatformVariables(input.variables);
  const keyring = deps.keyring ?? notificationKeyring();
  return deps.db.transaction().execute(async (trx) => {
    // Claim the send id first: a concurrent repeat waits here for this transaction, then finds it.
    const claimed = await scoped(trx, session.orgId)
      .insertInto('notification_sends', {
        id: input.sendId,
        audience: JSON.stringify(input.audience),
        channel: input.channel,
        template_key: input.templateKey ?? null,
        recipients: 0,
        created_by: session.userId,
      })
      .onConflict((oc) => oc.columns(['org_id', 'id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!claimed) {
      const previous = await existingSend(trx, session.orgId, input.sendId);
      if (previous) return previous;
    }
    await assertRoleExists(trx, session.orgId, input.audience);
    const members = await activeMembers(trx, selectorOf(session.orgId, input.audience), {
      limit: MAX_AUDIENCE_RECIPIENTS + 1,
    });
    if (members.length === 0) {
      throw new UnprocessableError('Nobody would receive this: no active member is in that audience', {
        fieldErrors: { audience: ['No active member is in this audience'] },
      });
    }
    if (members.length > MAX_AUDIENCE_RECIPIENTS) {
      throw new UnprocessableError(
        `One send reaches at most ${MAX_AUDIENCE_RECIPIENTS} people; this audience has more. Choose a role instead`,
        { fieldErrors: { audience: [`More than ${MAX_AUDIENCE_RECIPIENTS} people`] } },
      );
    }
    if (input.channel === 'email') {
      const policy = await loadNotificationPolicy(trx, session.orgId);
      await reserveEmailQuota(trx, {
        orgId: session.orgId,
        policy,
        defaultPerHour: deps.emailQuotaPerHour ?? DEFAULT_EMAIL_QUOTA_PER_HOUR,
        count: members.length,
      });
    }
    const options = { actorId: session.userId, clock: deps.clock, keyring, sendId: input.sendId };
    for (const member of members) {
      const common = {
        orgId: session.orgId,
        channel: input.channel,
        to: { userId: member.userId },
        variables: input.variables,
        scheduleAt: input.scheduleAt,
      };
      if (input.templateKey) {
        await enqueueNotification(
          trx,
          { ...common, templateKey: input.templateKey, locale: input.locale },
          options,
        );
      } else {
        await enqueueRawNotification(
          trx,
          { ...common, subject: input.subject ?? '', body: input.body ?? '' },
          options,
        );
      }
    }
    await scoped(trx, session.orgId)
      .updateTable('notification_sends')
      .set({ recipients: members.length })
      .where('id', '=', input.sendId)
      .execute();
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'notification.audience_queued',
        resourceType: 'notification_send',
        resourceId: input.sendId,
        // Who it went to by audience and count; never the content.
        payload: {
          audience: input.audience,
          channel: input.channel,
          templateKey: input.templateKey ?? null,
          recipients: members.length,
          scheduledAt: input.scheduleAt?.toISOString() ?? null,
        },
      },
      { clock: deps.clock },
    );
    return { sendId: input.sendId, recipients: members.length, alreadySent: false };
  });
}
