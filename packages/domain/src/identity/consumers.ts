import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import type { EventEnvelope } from '../events/envelope.ts';
import { consumeOnce } from '../events/inbox.ts';
import type { EventPayload } from '../events/registry.ts';
import { enqueueNotification } from '../notifications/enqueue.ts';
import type { Clock } from '../platform/clock.ts';
import { systemClock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';
import { silentLog } from '../platform/logger.ts';
import { generateTemporaryPassword, hashPassword } from '../platform/passwords.ts';
import type {
  EmailVerificationRequested,
  PasswordChanged,
  PasswordResetRequested,
  UserInvited,
} from './events.ts';
import { IDENTITY_CONSUMER_NAMES } from './queues.ts';
import { createPasswordResetToken, PASSWORD_RESET_TTL_SECONDS } from './reset-password.ts';
import { createVerificationCode, VERIFICATION_CODE_TTL_SECONDS } from './verification.ts';

/**
 * The worker-side half of identity: consumers of identity's outbox events. Each makes the secret the
 * email carries (code, reset token, temporary password), stores only its hash, and queues the email as
 * a notification (templates `verify-email`, `password-reset`, `welcome`, `password-changed`; the ones
 * with a secret are sensitive, so the secret is stored only encrypted and never shown to admins) — all
 * inside `consumeOnce`, so a redelivered job does nothing. The notifications dispatcher sends the
 * email, retries it and records every attempt (docs/notifications.md).
 *
 * The worker binds each to its queue (see IDENTITY_QUEUES in queues.ts):
 *   identity.email-verification   ← EmailVerificationRequested → deliverVerificationCode
 *   identity.password-reset-email ← PasswordResetRequested     → deliverPasswordResetLink
 *   identity.welcome-email        ← UserInvited                → deliverWelcomeEmail
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
const SENSITIVE_TEMPLATES = new Set(['verify-email', 'password-reset', 'welcome']);

/** Queues the email to the user (their address, name and org filled in by the notifications module). */
async function queueEmail(
  trx: Transaction<Database>,
  user: Recipient,
  templateKey: 'verify-email' | 'password-reset' | 'welcome' | 'password-changed',
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

/** PasswordResetRequested → a single-use 30-minute link `${webBaseUrl}/reset-password?token=…`. */
export function deliverPasswordResetLink(
  deps: IdentityMailDeps,
  event: EventEnvelope<(typeof PasswordResetRequested)['type'], EventPayload<typeof PasswordResetRequested>>,
): Promise<DeliveryResult> {
  return deliver(deps, IDENTITY_CONSUMER_NAMES.passwordReset, event, async (trx, user, now) => {
    if (user.status !== 'active') return { queued: false, reason: 'account disabled' };
    const { token } = await createPasswordResetToken(trx, { userId: user.id, orgId: user.org_id, now });
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
  });
}

/**
 * UserInvited → a temporary password (its argon2 hash stored; must_change_password stays set) in a
 * welcome email. Skipped when the user already chose a password of their own.
 */
export function deliverWelcomeEmail(
  deps: IdentityMailDeps,
  event: EventEnvelope<(typeof UserInvited)['type'], EventPayload<typeof UserInvited>>,
): Promise<DeliveryResult> {
  return deliver(deps, IDENTITY_CONSUMER_NAMES.welcome, event, async (trx, user, now) => {
    if (user.status !== 'active') return { queued: false, reason: 'account disabled' };
    if (user.password_hash && !user.must_change_password)
      return { queued: false, reason: 'password already chosen' };
    const temporaryPassword = generateTemporaryPassword();
    await trx
      .updateTable('users')
      .set({
        password_hash: await hashPassword(temporaryPassword),
        must_change_password: true,
        updated_at: now,
      })
      .where('id', '=', user.id)
      .execute();
    return queueEmail(
      trx,
      user,
      'welcome',
      { email: user.email, temporaryPassword, signInUrl: link(deps.webBaseUrl, 'sign-in') },
      deps.clock,
    );
  });
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
