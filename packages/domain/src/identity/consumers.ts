import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import type { EventEnvelope } from '../events/envelope.ts';
import { consumeOnce } from '../events/inbox.ts';
import type { EventPayload } from '../events/registry.ts';
import type { Clock } from '../platform/clock.ts';
import { systemClock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';
import { silentLog } from '../platform/logger.ts';
import type { Mailer } from '../platform/mailer.ts';
import { generateTemporaryPassword, hashPassword } from '../platform/passwords.ts';
import { passwordChangedEmail, passwordResetEmail, verificationCodeEmail, welcomeEmail } from './emails.ts';
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
 * email carries (code, reset token, temporary password), stores only its hash, and sends the email —
 * all inside `consumeOnce`, so a redelivered job does nothing and a failed send rolls the secret back
 * (the retry makes a new one). The plaintext exists only in the email.
 *
 * The worker binds each to its queue (see IDENTITY_QUEUES in queues.ts):
 *   identity.email-verification   ← EmailVerificationRequested → deliverVerificationCode
 *   identity.password-reset-email ← PasswordResetRequested     → deliverPasswordResetLink
 *   identity.welcome-email        ← UserInvited                → deliverWelcomeEmail
 *   identity.password-changed     ← PasswordChanged            → deliverPasswordChangedNotice
 */
export interface IdentityMailDeps {
  db: Kysely<Database>;
  mailer: Pick<Mailer, 'send'>;
  /** The web app's origin, for links in emails (WEB_BASE_URL), e.g. `https://atrium.example.com`. */
  webBaseUrl: string;
  clock?: Clock;
  log?: LogSink;
  /** Inbox consumer name; defaults to the queue name. */
  consumer?: string;
}

export type DeliveryResult = { sent: true; messageId: string } | { sent: false; reason: string };

interface Recipient {
  id: string;
  org_id: string;
  email: string;
  name: string;
  status: 'active' | 'disabled';
  email_verified_at: Date | null;
  must_change_password: boolean;
  password_hash: string | null;
  orgName: string;
}

/** The user the event is about, locked for the consumer's transaction. */
async function lockRecipient(trx: Transaction<Database>, userId: string): Promise<Recipient | undefined> {
  return trx
    .selectFrom('users')
    .innerJoin('orgs', 'orgs.id', 'users.org_id')
    .select([
      'users.id',
      'users.org_id',
      'users.email',
      'users.name',
      'users.status',
      'users.email_verified_at',
      'users.must_change_password',
      'users.password_hash',
      'orgs.name as orgName',
    ])
    .where('users.id', '=', userId)
    .forUpdate('users')
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
      if (!user) return { sent: false, reason: 'user no longer exists' } as const;
      return effects(trx, user, now);
    },
  );
  const result: DeliveryResult = outcome.processed
    ? outcome.result
    : { sent: false, reason: 'already processed' };
  (deps.log ?? silentLog).info({ consumer, eventId: event.eventId, ...result }, 'identity email');
  return result;
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
    if (user.email_verified_at) return { sent: false, reason: 'already verified' };
    if (user.status !== 'active') return { sent: false, reason: 'account disabled' };
    const { code } = await createVerificationCode(trx, { userId: user.id, orgId: user.org_id, now });
    const { messageId } = await deps.mailer.send(
      verificationCodeEmail(user, code, Math.round(VERIFICATION_CODE_TTL_SECONDS / 60)),
    );
    return { sent: true, messageId };
  });
}

/** PasswordResetRequested → a single-use 30-minute link `${webBaseUrl}/reset-password?token=…`. */
export function deliverPasswordResetLink(
  deps: IdentityMailDeps,
  event: EventEnvelope<(typeof PasswordResetRequested)['type'], EventPayload<typeof PasswordResetRequested>>,
): Promise<DeliveryResult> {
  return deliver(deps, IDENTITY_CONSUMER_NAMES.passwordReset, event, async (trx, user, now) => {
    if (user.status !== 'active') return { sent: false, reason: 'account disabled' };
    const { token } = await createPasswordResetToken(trx, { userId: user.id, orgId: user.org_id, now });
    const { messageId } = await deps.mailer.send(
      passwordResetEmail(
        user,
        link(deps.webBaseUrl, 'reset-password', { token }),
        Math.round(PASSWORD_RESET_TTL_SECONDS / 60),
      ),
    );
    return { sent: true, messageId };
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
    if (user.status !== 'active') return { sent: false, reason: 'account disabled' };
    if (user.password_hash && !user.must_change_password)
      return { sent: false, reason: 'password already chosen' };
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
    const { messageId } = await deps.mailer.send(
      welcomeEmail(user, temporaryPassword, link(deps.webBaseUrl, 'sign-in')),
    );
    return { sent: true, messageId };
  });
}

/** PasswordChanged → a notice to the account's address, with a reset link in case it was not them. */
export function deliverPasswordChangedNotice(
  deps: IdentityMailDeps,
  event: EventEnvelope<(typeof PasswordChanged)['type'], EventPayload<typeof PasswordChanged>>,
): Promise<DeliveryResult> {
  return deliver(deps, IDENTITY_CONSUMER_NAMES.passwordChanged, event, async (_trx, user) => {
    const { messageId } = await deps.mailer.send(
      passwordChangedEmail(user, event.payload.via ?? 'change', link(deps.webBaseUrl, 'forgot-password')),
    );
    return { sent: true, messageId };
  });
}
