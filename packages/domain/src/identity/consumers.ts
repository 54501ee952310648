import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import { appendAudit } from '../audit/index.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { consumeOnce } from '../events/inbox.ts';
import type { EventPayload } from '../events/registry.ts';
import { enqueueNotification } from '../notifications/enqueue.ts';
import type { Clock } from '../platform/clock.ts';
import { systemClock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';
import { silentLog } from '../platform/logger.ts';
import type { EmailVerificationRequested, PasswordChanged, PasswordResetRequested } from './events.ts';
import { IDENTITY_CONSUMER_NAMES } from './queues.ts';
import { createPasswordResetToken, openSealedAddress, PASSWORD_RESET_TTL_SECONDS } from './reset-password.ts';
import { createVerificationCode, VERIFICATION_CODE_TTL_SECONDS } from './verification.ts';

/**
 * The worker-side half of identity: consumers of identity's outbox events. Each makes the secret the
 * email carries (code, reset token, temporary password), stores only its hash, and queues the email as
 * a notification (templates `verify-email`, `password-reset`, `password-changed`; the ones
 * with a secret are sensitive, so the secret is stored only encrypted and never shown to admins) — all
 * inside `consumeOnce`, so a redelivered job does nothing. The notifications dispatcher sends the
 * email, retries it and records every attempt (docs/notifications.md).
 *
 * The worker binds each to its queue (see IDENTITY_QUEUES in queues.ts):
 *   identity.email-verification   ← EmailVerificationRequested → deliverVerificationCode
 *   identity.password-reset-email ← PasswordResetRequested     → deliverPasswordResetLink
 *   identity.password-changed     ← PasswordChanged            → deliverPasswordChangedNotice
 */
export interface IdentityMailDeps {
  db: Kysely<Database>;
  /** The web app's origin, for links in emails (WEB_BASE_URL), e.g. `https://atrium.example.com`. */
  webBaseUrl: string;
  clock?: Clock;
  log?: LogSink;
  /** Inbox consumer name; defaults to the queue name. */
  consumer?: string;
}

/** `queued`: the email is a notification now, delivered by `notifications.dispatch`. */
export type DeliveryResult = { queued: true; notificationId: string } | { queued: false; reason: string };

interface Recipient {
  id: string;
  org_id: string;
  email: string;
  status: 'active' | 'disabled';
  email_verified_at: Date | null;
  must_change_password: boolean;
  password_hash: string | null;
}

/** The user the event is about, locked for the consumer's transaction. */
async function lockRecipient(trx: Transaction<Database>, userId: string): Promise<Recipient | undefined> {
  return trx
    .selectFrom('users')
    .select(['id', 'org_id', 'email', 'status', 'email_verified_at', 'must_change_password', 'password_hash'])
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
}

async function deliver(
  deps: IdentityMailDeps,
  consumer: string,
  event: { eventId: string; payload: { userId: string } },
  effects: (trx: Transaction<Database>, user: Recipient, now: Date) => Promise<DeliveryResult>,
): Promise<DeliveryResult> {
  const now = (deps.clock ?? systemClock).now();
  const outcome = await consumeOnce(
    deps.db,
    { consumer: deps.consumer ?? consumer, eventId: event.eventId },
    async (trx) => {
      const user = await lockRecipient(trx, event.payload.userId);
      if (!user) return { queued: false, reason: 'user no longer exists' } as const;
      return effects(trx, user, now);
    },
  );
  const result: DeliveryResult = outcome.processed
    ? outcome.result
    : { queued: false, reason: 'already processed' };
  (deps.log ?? silentLog).info({ consumer, eventId: event.eventId, ...result }, 'identity email');
  return result;
}

/** The emails that carry a secret: stored only encrypted, never shown to admins. */
const SENSITIVE_TEMPLATES = new Set(['verify-email', 'password-reset']);

/** Queues the email to the user (their address, name and org filled in by the notifications module). */
async function queueEmail(
  trx: Transaction<Database>,
  user: Recipient,
  templateKey: 'verify-email' | 'password-reset' | 'password-changed',
  variables: Record<string, string | number>,
  clock: Clock | undefined,
): Promise<DeliveryResult> {
  const { id } = await enqueueNotification(
    trx,
    {
      orgId: user.org_id,
      channel: 'email',
      to: { userId: user.id },
      templateKey,
      variables,
      sensitive: SENSITIVE_TEMPLATES.has(templateKey),
    },
    clock ? { clock } : {},
  );
  return { queued: true, notificationId: id };
}

function link(base: string, path: string, params: Record<string, string> = {}): string {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

/** EmailVerificationRequested → a fresh 6-digit code (older ones retired) mailed to the user. */
export function deliverVerificationCode(
  deps: IdentityMailDeps,
  event: EventEnvelope<
    (typeof EmailVerificationRequested)['type'],
    EventPayload<typeof EmailVerificationRequested>
  >,
): Promise<DeliveryResult> {
  return deliver(deps, IDENTITY_CONSUMER_NAMES.verification, event, async (trx, user, now) => {
    if (user.email_verified_at) return { queued: false, reason: 'already verified' };
    if (user.status !== 'active') return { queued: false, reason: 'account disabled' };
    const { code } = await createVerificationCode(trx, { userId: user.id, orgId: user.org_id, now });
    return queueEmail(
      trx,
      user,
      'verify-email',
      { code, validMinutes: Math.round(VERIFICATION_CODE_TTL_SECONDS / 60) },
      deps.clock,
    );
  });
}

/**
 * PasswordResetRequested → for an existing, active account: a single-use 30-minute link
 * `${webBaseUrl}/reset-password?token=…` by email, and the request audited in its org. The request
 * path wrote the event for every address, known or not; only here is the account looked up.
 */
export async function deliverPasswordResetLink(
  deps: IdentityMailDeps,
  event: EventEnvelope<(typeof PasswordResetRequested)['type'], EventPayload<typeof PasswordResetRequested>>,
): Promise<DeliveryResult> {
  const payload = event.payload;
  const userId =
    'userId' in payload ? payload.userId : await accountOfSealedAddress(deps.db, payload.emailSealed);
  const ip = 'ip' in payload ? payload.ip : null;
  if (!userId) {
    (deps.log ?? silentLog).info(
      { eventId: event.eventId },
      'password reset asked for an address with no account',
    );
    return { queued: false, reason: 'no account' };
  }
  return deliver(
    deps,
    IDENTITY_CONSUMER_NAMES.passwordReset,
    { eventId: event.eventId, payload: { userId } },
    async (trx, user, now) => {
      if (user.status !== 'active') return { queued: false, reason: 'account disabled' };
      const { token } = await createPasswordResetToken(trx, { userId: user.id, orgId: user.org_id, now });
      await appendAudit(trx, {
        orgId: user.org_id,
        actorId: null,
        action: 'auth.password_reset.requested',
        resourceType: 'user',
        resourceId: user.id,
        payload: { ip },
      });
      return queueEmail(
        trx,
        user,
        'password-reset',
        {
          resetUrl: link(deps.webBaseUrl, 'reset-password', { token }),
          validMinutes: Math.round(PASSWORD_RESET_TTL_SECONDS / 60),
        },
        deps.clock,
      );
    },
  );
}

async function accountOfSealedAddress(db: Kysely<Database>, sealed: string): Promise<string | null> {
  let email: string;
  try {
    email = openSealedAddress(sealed);
  } catch {
    return null;
  }
  const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  return user?.id ?? null;
}

/** PasswordChanged → a notice to the account's address, with a reset link in case it was not them. */
export function deliverPasswordChangedNotice(
  deps: IdentityMailDeps,
  event: EventEnvelope<(typeof PasswordChanged)['type'], EventPayload<typeof PasswordChanged>>,
): Promise<DeliveryResult> {
  return deliver(deps, IDENTITY_CONSUMER_NAMES.passwordChanged, event, async (trx, user) => {
    const how =
      (event.payload.via ?? 'change') === 'reset'
        ? 'through a password reset link'
        : 'from your account settings';
    return queueEmail(
      trx,
      user,
      'password-changed',
      { how, resetUrl: link(deps.webBaseUrl, 'forgot-password') },
      deps.clock,
    );
  });
}
