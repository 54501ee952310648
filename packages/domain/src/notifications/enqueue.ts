import { randomUUID } from 'node:crypto';
import type { Database, NotificationChannel } from '@atrium/db';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { AppError, NotFoundError, ValidationError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { ZDate } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { type NotificationKeyring, notificationKeyring, recipientHash, seal } from './crypto.ts';
import { NOTIFICATION_AGGREGATE, NotificationRequested } from './events.ts';
import { DEFAULT_MAX_ATTEMPTS } from './queue.ts';
import {
  MAX_BODY_LENGTH,
  MAX_SUBJECT_LENGTH,
  type NotificationVariables,
  type RenderedNotification,
  renderTemplate,
  ZNotificationVariables,
} from './render.ts';
import { DEFAULT_LOCALE, resolveTemplate, ZChannel, ZLocale, ZTemplateKey } from './templates.ts';

/**
 * Creating notifications, in the caller's transaction: resolve the recipient, render (so a missing
 * variable fails the caller, not the worker), store the row — address and, for sensitive ones, content
 * sealed — and write `NotificationRequested` to the outbox. The worker delivers it (dispatch.ts).
 */

export type NotificationRecipient = { userId: string } | { email: string };

export interface EnqueueNotificationInput {
  orgId: string;
  channel: NotificationChannel;
  /** A user of the org (email: their address; in_app: their inbox) or, for email only, an address. */
  to: NotificationRecipient;
  templateKey: string;
  /**
   * Values for the template's placeholders: text, numbers or booleans. `orgName` and, for a user
   * recipient, `name` are filled in unless given.
   */
  variables: Record<string, unknown>;
  /** BCP 47; falls back to the language, then `en`. Default `en`. */
  locale?: string;
  /** Deliver at this time instead of now (a time already past means now). */
  scheduleAt?: Date;
  /**
   * The content carries a secret (code, link, password): subject, body and variables are stored
   * encrypted and never shown by notifications.list/get. Templates marked sensitive imply it.
   */
  sensitive?: boolean;
}

export interface EnqueueRawNotificationInput
  extends Omit<EnqueueNotificationInput, 'templateKey' | 'locale'> {
  /** Written by the caller; `{{var}}` placeholders are substituted like a template's. */
  subject: string;
  body: string;
}

export interface EnqueueOptions {
  /** The user who asked (notifications.send); omitted for the system. */
  actorId?: string | null;
  clock?: Clock;
  keyring?: NotificationKeyring;
  /** The audience send this notification is one recipient of (audience-send.ts). */
  sendId?: string;
}

/** How far ahead a notification may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 60 * 60 * 1000;

export const ZEmailAddress = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'Not a valid email address' }));

export const ZRecipient = z.union([
  z.object({ userId: z.uuid() }).strict(),
  z.object({ email: ZEmailAddress }).strict(),
]);

const ZCommon = z.object({
  orgId: z.uuid(),
  channel: ZChannel,
  to: ZRecipient,
  variables: ZNotificationVariables.default({}),
  scheduleAt: ZDate.optional(),
  sensitive: z.boolean().optional(),
});

const ZEnqueueInput = ZCommon.extend({
  templateKey: ZTemplateKey,
  locale: ZLocale.optional(),
});

const ZEnqueueRawInput = ZCommon.extend({
  subject: z.string().trim().min(1).max(MAX_SUBJECT_LENGTH),
  body: z.string().trim().min(1).max(MAX_BODY_LENGTH),
});

interface ResolvedRecipient {
  userId: string | null;
  email: string | null;
  defaults: Record<string, string>;
}

function assertTransaction(trx: Transaction<Database>): void {
  if (!trx.isTransaction) {
    throw new AppError('INTERNAL', 'enqueueNotification must run inside the caller’s transaction');
  }
}

async function resolveRecipient(
  trx: Transaction<Database>,
  orgId: string,
  channel: NotificationChannel,
  to: z.infer<typeof ZRecipient>,
): Promise<ResolvedRecipient> {
  const org = await trx.selectFrom('orgs').select('name').where('id', '=', orgId).executeTakeFirst();
  if (!org) throw new NotFoundError('Organisation');
  if ('email' in to) {
    if (channel === 'in_app') {
      throw new ValidationError('In-app notifications go to a user', {
        to: ['In-app notifications need a user id, not an address'],
      });
    }
    return { userId: null, email: to.email, defaults: { orgName: org.name } };
  }
  const user = await scoped(trx, orgId)
    .selectFrom('users')
    .select(['id', 'email', 'name'])
    .where('id', '=', to.userId)
    .executeTakeFirst();
  // A user of another org is not found, exactly like one that does not exist.
  if (!user) throw new NotFoundError('User');
  return {
    userId: user.id,
    email: channel === 'email' ? user.email : null,
    defaults: { orgName: org.name, name: user.name },
  };
}

interface StoreInput {
  orgId: string;
  channel: NotificationChannel;
  recipient: ResolvedRecipient;
  templateKey: string | null;
  locale: string;
  variables: NotificationVariables;
  rendered: RenderedNotification;
  sensitive: boolean;
  scheduleAt: Date | undefined;
}

async function store(
  trx: Transaction<Database>,
  input: StoreInput,
  options: EnqueueOptions,
): Promise<string> {
  const keyring = options.keyring ?? notificationKeyring();
  const now = (options.clock ?? systemClock).now();
  if (input.scheduleAt && input.scheduleAt.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS) {
    throw new ValidationError('Notifications can be scheduled at most a year ahead', {
      scheduleAt: ['At most a year ahead'],
    });
  }
  const scheduled = input.scheduleAt !== undefined && input.scheduleAt.getTime() > now.getTime();
  const id = randomUUID();
  await trx
    .insertInto('notifications')
    .values({
      id,
      org_id: input.orgId,
      channel: input.channel,
      recipient_user_id: input.recipient.userId,
      recipient_email_enc: input.recipient.email
        ? seal(keyring, input.recipient.email, recipientContext(id))
        : null,
      recipient_email_hash: input.recipient.email ? recipientHash(keyring, input.recipient.email) : null,
      template_key: input.templateKey,
      locale: input.locale,
      sensitive: input.sensitive,
      variables: input.sensitive ? null : JSON.stringify(input.variables),
      subject: input.sensitive ? null : input.rendered.subject,
      body: input.sensitive ? null : input.rendered.body,
      content_enc: input.sensitive
        ? seal(
            keyring,
            JSON.stringify({ ...input.rendered, variables: input.variables } satisfies SealedContent),
            contentContext(id),
          )
        : null,
      status: scheduled ? 'scheduled' : 'pending',
      scheduled_at: scheduled ? (input.scheduleAt ?? null) : null,
      max_attempts: DEFAULT_MAX_ATTEMPTS,
      created_by: options.actorId ?? null,
      send_id: options.sendId ?? null,
    })
    .execute();
  await writeOutboxEvent(trx, {
    orgId: input.orgId,
    type: NotificationRequested,
    aggregateType: NOTIFICATION_AGGREGATE,
    aggregateId: id,
    payload: { notificationId: id, channel: input.channel },
  });
  return id;
}

/** What content_enc holds for a sensitive notification. */
export interface SealedContent {
  subject: string;
  body: string;
  variables: NotificationVariables;
}

export const recipientContext = (id: string) => `notification:${id}:recipient`;
export const contentContext = (id: string) => `notification:${id}:content`;

/**
 * Renders a template for a recipient and queues the notification in the caller's transaction (it
 * exists, and will be delivered, if and only if that transaction commits). Throws 400 for bad input,
 * an unknown template or a missing variable; 404 for a user who is not in the org.
 */
export async function enqueueNotification(
  trx: Transaction<Database>,
  rawInput: EnqueueNotificationInput,
  options: EnqueueOptions = {},
): Promise<{ id: string }> {
  assertTransaction(trx);
  const input = validateInput(ZEnqueueInput, rawInput);
  const locale = input.locale ?? DEFAULT_LOCALE;
  const recipient = await resolveRecipient(trx, input.orgId, input.channel, input.to);
  const template = await resolveTemplate(trx, {
    orgId: input.orgId,
    key: input.templateKey,
    channel: input.channel,
    locale,
  });
  if (!template) {
    const channel = input.channel === 'email' ? 'email' : 'in-app';
    throw new ValidationError(`There is no ${channel} template "${input.templateKey}"`, {
      templateKey: [`No ${channel} template with this key`],
    });
  }
  // The platform's values win: a caller cannot pose as another org or rename the recipient.
  const variables = { ...input.variables, ...recipient.defaults };
  const rendered = renderTemplate(template, variables);
  const id = await store(
    trx,
    {
      orgId: input.orgId,
      channel: input.channel,
      recipient,
      templateKey: template.key,
      locale: template.locale,
      variables,
      rendered,
      sensitive: (input.sensitive ?? false) || template.sensitive,
      scheduleAt: input.scheduleAt,
    },
    options,
  );
  return { id };
}

/** Like enqueueNotification with the subject and body given instead of a template (notifications.send). */
export async function enqueueRawNotification(
  trx: Transaction<Database>,
  rawInput: EnqueueRawNotificationInput,
  options: EnqueueOptions = {},
): Promise<{ id: string }> {
  assertTransaction(trx);
  const input = validateInput(ZEnqueueRawInput, rawInput);
  const recipient = await resolveRecipient(trx, input.orgId, input.channel, input.to);
  // The platform's values win: a caller cannot pose as another org or rename the recipient.
  const variables = { ...input.variables, ...recipient.defaults };
  const rendered = renderTemplate({ subject: input.subject, body: input.body }, variables);
  const id = await store(
    trx,
    {
      orgId: input.orgId,
      channel: input.channel,
      recipient,
      templateKey: null,
      locale: DEFAULT_LOCALE,
      variables,
      rendered,
      sensitive: input.sensitive ?? false,
      scheduleAt: input.scheduleAt,
    },
    options,
  );
  return { id };
}
