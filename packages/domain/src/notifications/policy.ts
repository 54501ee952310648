import type { Database } from '@atrium/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { appendAudit, PLATFORM_AUDIT_CHAIN } from '../audit/index.ts';
import { NotFoundError, RateLimitedError, UnprocessableError, ValidationError } from '../errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { normaliseEmail } from './crypto.ts';

/**
 * What an org may make the platform send (SPEC §6, docs/security.md): Atrium must never become a
 * spam or phishing relay for whoever signs up.
 *
 * - Recipients are members of the sender's org (by user id, or the address of a member); other
 *   addresses only when a platform operator has enabled external recipients for that org.
 * - Emails people cause (notifications.send, invitations) count against an hourly quota per org
 *   (default 200; operators may set another per org). Past it → 429 with the time until a slot frees.
 * - Platform templates are sent only by their own flows (sign-up, reset, invitations…), never by hand.
 * - Variables the platform fills in (the org's and the recipient's names) are never the caller's.
 */

/** Templates only their own flows send; `notifications.send` and org overrides refuse them. */
export const PLATFORM_TEMPLATE_KEYS = new Set([
  'verify-email',
  'password-reset',
  'welcome',
  'password-changed',
  'invitation',
  'invitation-existing-account',
]);

/** Variables the platform fills in for every notification; a caller may not supply them. */
export const PLATFORM_VARIABLES = new Set(['orgName', 'name']);

export const DEFAULT_EMAIL_QUOTA_PER_HOUR = 200;

/** The operator-controlled part of an org's settings (`settings.notifications`). */
export const ZNotificationPolicy = z.object({
  allowExternalRecipients: z.boolean().default(false),
  /** Null: the platform default. */
  emailQuotaPerHour: z.number().int().min(0).max(100_000).nullable().default(null),
});
export type NotificationPolicy = z.infer<typeof ZNotificationPolicy>;

export function notificationPolicyOf(settings: unknown): NotificationPolicy {
  const raw = (settings as { notifications?: unknown } | null)?.notifications;
  const parsed = ZNotificationPolicy.safeParse(raw ?? {});
  return parsed.success ? parsed.data : ZNotificationPolicy.parse({});
}

export async function loadNotificationPolicy(
  trx: Transaction<Database>,
  orgId: string,
): Promise<NotificationPolicy> {
  const org = await trx.selectFrom('orgs').select('settings').where('id', '=', orgId).executeTakeFirst();
  return notificationPolicyOf(org?.settings);
}

export function assertNotPlatformTemplate(templateKey: string): void {
  if (PLATFORM_TEMPLATE_KEYS.has(templateKey)) {
    throw new ValidationError('This template is sent by Atrium itself and cannot be sent by hand', {
      templateKey: ['Sent by Atrium itself (sign-up, password reset, invitations); choose another template'],
    });
  }
}

export function assertNoPlatformVariables(variables: Record<string, unknown>): void {
  const taken = Object.keys(variables).filter((key) => PLATFORM_VARIABLES.has(key));
  if (taken.length === 0) return;
  throw new ValidationError('Some variables are filled in by Atrium', {
    ...Object.fromEntries(taken.map((key) => [`variables.${key}`, ['Filled in by Atrium; leave it out']])),
  });
}

/**
 * The recipient of a hand-sent notification, checked against the policy: a member's address is
 * turned into that member (so it is stored and shown as them); any other address needs the org's
 * external-recipients permission. An address of another org's member reads like a stranger's.
 */
export async function resolveAllowedRecipient(
  trx: Transaction<Database>,
  input: {
    orgId: string;
    channel: 'email' | 'in_app';
    to: { userId: string } | { email: string };
    policy: NotificationPolicy;
  },
): Promise<{ userId: string } | { email: string }> {
  if ('userId' in input.to) return input.to;
  const email = normaliseEmail(input.to.email);
  const member = await trx
    .selectFrom('users')
    .select('id')
    .where('org_id', '=', input.orgId)
    .where('email', '=', email)
    .executeTakeFirst();
  if (member) return { userId: member.id };
  if (input.channel === 'in_app') {
    throw new ValidationError('In-app notifications go to members', {
      to: ['In-app notifications go to a member of your organisation'],
    });
  }
  if (input.policy.allowExternalRecipients) return { email };
  throw new UnprocessableError(
    'Notifications go to members of your organisation. Sending to other addresses needs a platform operator to enable it',
    { fieldErrors: { to: ['Not a member of your organisation'] } },
  );
}

/**
 * Takes `count` emails (default one) of the org's hourly quota inside the caller's transaction, or
 * refuses them all with 429 — never part of them. Counted from the notifications people caused in the
 * last hour (`created_by` set) under a per-org transaction lock, so concurrent senders cannot
 * overshoot and every API replica agrees.
 */
export async function reserveEmailQuota(
  trx: Transaction<Database>,
  input: { orgId: string; policy: NotificationPolicy; defaultPerHour: number; count?: number },
): Promise<void> {
  const count = input.count ?? 1;
  const limit = input.policy.emailQuotaPerHour ?? input.defaultPerHour;
  await sql`SELECT pg_advisory_xact_lock(hashtext('atrium:email-quota'), hashtext(${input.orgId}))`.execute(
    trx,
  );
  const { rows } = await sql<{ used: string; oldest_ends_in: number | null }>`
    SELECT count(*) AS used,
           extract(epoch FROM min(created_at) + interval '1 hour' - now())::float8 AS oldest_ends_in
    FROM notifications
    WHERE org_id = ${input.orgId} AND channel = 'email' AND created_by IS NOT NULL
      AND created_at > now() - interval '1 hour'
  `.execute(trx);
  const used = Number(rows[0]?.used ?? 0);
  if (used + count <= limit) return;
  const retryAfter = Math.max(1, Math.ceil(rows[0]?.oldest_ends_in ?? 3600));
  if (count === 1 || used >= limit) {
    throw new RateLimitedError(
      retryAfter,
      `Your organisation has sent its ${limit} emails for this hour. Try again later`,
    );
  }
  throw new RateLimitedError(
    retryAfter,
    `This would send ${count} emails, and your organisation has ${limit - used} of its ${limit} left this hour. Nothing was sent`,
  );
}

export const ZSetNotificationPolicyInput = z.object({
  orgId: z.uuid(),
  allowExternalRecipients: z.boolean(),
  emailQuotaPerHour: z.number().int().min(0).max(100_000).nullable(),
});
export type SetNotificationPolicyInput = z.infer<typeof ZSetNotificationPolicyInput>;

/**
 * A platform operator sets what an org may send (never the org's own admins: the policy protects
 * everyone else from the org). Audited in the org's chain and in the platform's.
 */
export async function setNotificationPolicy(
  db: Kysely<Database>,
  actor: { userId: string },
  rawInput: SetNotificationPolicyInput,
): Promise<NotificationPolicy> {
  const input = validateInput(ZSetNotificationPolicyInput, rawInput);
  const policy: NotificationPolicy = {
    allowExternalRecipients: input.allowExternalRecipients,
    emailQuotaPerHour: input.emailQuotaPerHour,
  };
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('orgs')
      .set({
        settings: sql`jsonb_set(settings, '{notifications}', ${JSON.stringify(policy)}::jsonb, true)`,
      })
      .where('id', '=', input.orgId)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new NotFoundError('Organisation');
    await appendAudit(trx, {
      orgId: input.orgId,
      actorId: actor.userId,
      action: 'org.notification_policy_set',
      resourceType: 'org',
      resourceId: input.orgId,
      payload: policy,
    });
    await appendAudit(trx, {
      // An operator's action: the platform chain records it too.
      orgId: PLATFORM_AUDIT_CHAIN,
      actorId: actor.userId,
      action: 'org.notification_policy_set',
      resourceType: 'org',
      resourceId: input.orgId,
      payload: policy,
    });
  });
  return policy;
}
