import type { Database, NotificationChannel } from '@atrium/db';
import { type Kysely, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError, UnprocessableError, ValidationError } from '../errors.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { PLATFORM_TEMPLATE_KEYS, PLATFORM_VARIABLES } from './policy.ts';
import { MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH, placeholdersOf } from './render.ts';

/**
 * Templates (SPEC §6): global built-ins (org_id NULL, seeded by the migration, read-only through the
 * API) and each org's own rows — overrides of a built-in key, or templates of the org's own keys.
 *
 * Resolution of (org, key, channel, locale): the locale chain is the requested locale, its language,
 * then `en` (`de-CH` → `de-CH`, `de`, `en`); for each locale in turn the org's row wins over the
 * global one. So a translation beats an untranslated override: language first, then ownership.
 */

export const DEFAULT_LOCALE = 'en';

/** Built-ins whose recipients are not (yet) members of the org: no org may override them. */
const OUTSIDE_REACHING_TEMPLATES = new Set(['invitation', 'invitation-existing-account']);

export const ZChannel = z.enum(['email', 'in_app']);
export const ZTemplateKey = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{1,63}$/, { message: 'Keys are lower-case words joined by hyphens' });
export const ZLocale = z
  .string()
  .trim()
  .min(2)
  .max(35)
  .transform((value, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(value);
      if (canonical && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(canonical)) return canonical;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'Not a valid locale (BCP 47, e.g. en, de-CH)' });
    return z.NEVER;
  });

/** The locales tried for a requested one, most specific first, ending with `en`. */
export function localeChain(locale: string): string[] {
  const chain: string[] = [];
  const parts = locale.split('-');
  for (let n = parts.length; n >= 1; n--) chain.push(parts.slice(0, n).join('-'));
  chain.push(DEFAULT_LOCALE);
  return [...new Set(chain)];
}

type TemplateRow = Selectable<Database['notification_templates']>;

export interface NotificationTemplateDto {
  id: string;
  /** `global`: a built-in (read-only); `org`: the caller's org's own. */
  scope: 'global' | 'org';
  key: string;
  channel: NotificationChannel;
  locale: string;
  subject: string;
  body: string;
  /** The variables the template may use (built-ins) or uses (the org's own). */
  variables: string[];
  sensitive: boolean;
  /** Sent by Atrium's own flows (sign-up, passwords, invitations), never by hand (policy.ts). */
  sentByAtrium: boolean;
  /** Its text is Atrium's: no org may override it (it reaches people outside the org). */
  fixedText: boolean;
  /** The variables a sender supplies: `variables` without those Atrium fills in (orgName, name). */
  senderVariables: string[];
  /** For globals: whether the org has its own row for the same key, channel and locale. */
  overridden: boolean;
  createdAt: Date;
  updatedAt: Date;
}

function toDto(row: TemplateRow, overridden = false): NotificationTemplateDto {
  return {
    id: row.id,
    scope: row.org_id === null ? 'global' : 'org',
    key: row.key,
    channel: row.channel,
    locale: row.locale,
    subject: row.subject,
    body: row.body,
    variables: [...row.variables],
    sensitive: row.sensitive,
    sentByAtrium: PLATFORM_TEMPLATE_KEYS.has(row.key),
    fixedText: OUTSIDE_REACHING_TEMPLATES.has(row.key),
    senderVariables: row.variables.filter((name) => !PLATFORM_VARIABLES.has(name)),
    overridden,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The template a notification of (org, key, channel, locale) is rendered from, or undefined. */
export async function resolveTemplate(
  db: Kysely<Database>,
  input: { orgId: string; key: string; channel: NotificationChannel; locale: string },
): Promise<TemplateRow | undefined> {
  const chain = localeChain(input.locale);
  const rows = await db
    .selectFrom('notification_templates')
    .selectAll()
    .where('key', '=', input.key)
    .where('channel', '=', input.channel)
    .where('locale', 'in', chain)
    .where((eb) => eb.or([eb('org_id', '=', input.orgId), eb('org_id', 'is', null)]))
    .execute();
  for (const locale of chain) {
    const own = rows.find((row) => row.locale === locale && row.org_id !== null);
    if (own) return own;
    const global = rows.find((row) => row.locale === locale && row.org_id === null);
    if (global) return global;
  }
  return undefined;
}

export interface TemplateDeps {
  db: Kysely<Database>;
  clock?: Clock;
}

export const ZListTemplatesInput = z.object({
  key: ZTemplateKey.optional(),
  channel: ZChannel.optional(),
  locale: ZLocale.optional(),
});
export type ListTemplatesInput = z.input<typeof ZListTemplatesInput>;

/** `notifications.templates.list`: the built-ins and the org's own, by key, channel, locale, scope. */
export async function listTemplates(
  deps: TemplateDeps,
  session: Session,
  rawInput: ListTemplatesInput = {},
): Promise<NotificationTemplateDto[]> {
  const input = validateInput(ZListTemplatesInput, rawInput);
  let query = deps.db
    .selectFrom('notification_templates')
    .selectAll()
    .where((eb) => eb.or([eb('org_id', '=', session.orgId), eb('org_id', 'is', null)]));
  if (input.key) query = query.where('key', '=', input.key);
  if (input.channel) query = query.where('channel', '=', input.channel);
  if (input.locale) query = query.where('locale', '=', input.locale);
  const rows = await query
    .orderBy('key')
    .orderBy('channel')
    .orderBy('locale')
    .orderBy(sql`org_id IS NULL`, 'desc')
    .execute();
  const own = new Set(
    rows.filter((row) => row.org_id !== null).map((row) => `${row.key}|${row.channel}|${row.locale}`),
  );
  return rows.map((row) =>
    toDto(row, row.org_id === null && own.has(`${row.key}|${row.channel}|${row.locale}`)),
  );
}

export const ZTemplateIdInput = z.object({ id: z.uuid() });

async function findVisible(db: Kysely<Database>, orgId: string, id: string): Promise<TemplateRow> {
  const row = await db
    .selectFrom('notification_templates')
    .selectAll()
    .where('id', '=', id)
    .where((eb) => eb.or([eb('org_id', '=', orgId), eb('org_id', 'is', null)]))
    .executeTakeFirst();
  // Another org's template is simply not found.
  if (!row) throw new NotFoundError('Template');
  return row;
}

/** `notifications.templates.get`: a built-in or one of the org's own. */
export async function getTemplate(
  deps: TemplateDeps,
  session: Session,
  rawInput: z.input<typeof ZTemplateIdInput>,
): Promise<NotificationTemplateDto> {
  const { id } = validateInput(ZTemplateIdInput, rawInput);
  const row = await findVisible(deps.db, session.orgId, id);
  let overridden = false;
  if (row.org_id === null) {
    const own = await scoped(deps.db, session.orgId)
      .selectFrom('notification_templates')
      .select('id')
      .where('key', '=', row.key)
      .where('channel', '=', row.channel)
      .where('locale', '=', row.locale)
      .executeTakeFirst();
    overridden = own !== undefined;
  }
  return toDto(row, overridden);
}

export const ZUpsertTemplateInput = z.object({
  key: ZTemplateKey,
  channel: ZChannel,
  locale: ZLocale.default(DEFAULT_LOCALE),
  subject: z.string().trim().min(1).max(MAX_SUBJECT_LENGTH),
  body: z.string().trim().min(1).max(MAX_BODY_LENGTH),
  /** Marks an org's own template as carrying secrets; overrides of sensitive built-ins always are. */
  sensitive: z.boolean().optional(),
});
export type UpsertTemplateInput = z.input<typeof ZUpsertTemplateInput>;

/**
 * `notifications.templates.upsert`: creates or replaces the org's row for (key, channel, locale).
 * Placeholders must be well formed; an override of a built-in key may only use the variables the
 * built-in declares (its senders supply no others), and stays sensitive when the built-in is.
 */
export async function upsertTemplate(
  deps: TemplateDeps,
  session: Session,
  rawInput: UpsertTemplateInput,
): Promise<NotificationTemplateDto> {
  const input = validateInput(ZUpsertTemplateInput, rawInput);
  if (OUTSIDE_REACHING_TEMPLATES.has(input.key)) {
    // These reach people outside the org: their words stay Atrium's, or invitations become a relay.
    throw new ValidationError('Invitation emails cannot be changed', {
      key: ['Invitations go to people outside your organisation; their text is fixed'],
    });
  }
  const used = [
    ...new Set([...placeholdersOf(input.subject, 'subject'), ...placeholdersOf(input.body, 'body')]),
  ];
  const globals = await deps.db
    .selectFrom('notification_templates')
    .select(['variables', 'sensitive'])
    .where('org_id', 'is', null)
    .where('key', '=', input.key)
    .execute();
  let variables = used;
  let sensitive = input.sensitive ?? false;
  if (globals.length > 0) {
    const allowed = new Set(globals.flatMap((row) => row.variables));
    const unknown = used.filter((name) => !allowed.has(name));
    if (unknown.length > 0) {
      throw new ValidationError(
        `The built-in template "${input.key}" has no variable ${unknown.join(', ')}`,
        {
          body: [`Unknown variables: ${unknown.join(', ')}. Available: ${[...allowed].sort().join(', ')}`],
        },
      );
    }
    variables = [...allowed];
    sensitive = sensitive || globals.some((row) => row.sensitive);
  }
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('notification_templates')
      .values({
        org_id: session.orgId,
        key: input.key,
        channel: input.channel,
        locale: input.locale,
        subject: input.subject,
        body: input.body,
        variables,
        sensitive,
      })
      .onConflict((oc) =>
        oc.columns(['org_id', 'key', 'channel', 'locale']).doUpdateSet({
          subject: input.subject,
          body: input.body,
          variables,
          sensitive,
          updated_at: now,
        }),
      )
      .returningAll()
      .returning(sql<boolean>`xmax = 0`.as('inserted'))
      .executeTakeFirstOrThrow();
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'notification_template.upserted',
        resourceType: 'notification_template',
        resourceId: row.id,
        payload: {
          key: row.key,
          channel: row.channel,
          locale: row.locale,
          created: row.inserted,
          overridesBuiltIn: globals.length > 0,
        },
      },
      { clock: deps.clock },
    );
    return toDto(row);
  });
}

/** `notifications.templates.delete`: removes one of the org's own; built-ins are read-only (422). */
export async function deleteTemplate(
  deps: TemplateDeps,
  session: Session,
  rawInput: z.input<typeof ZTemplateIdInput>,
): Promise<{ id: string; deleted: true }> {
  const { id } = validateInput(ZTemplateIdInput, rawInput);
  return deps.db.transaction().execute(async (trx) => {
    const row = await findVisible(trx, session.orgId, id);
    if (row.org_id === null)
      throw new UnprocessableError('Built-in templates cannot be deleted; override them');
    await scoped(trx, session.orgId).deleteFrom('notification_templates').where('id', '=', id).execute();
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'notification_template.deleted',
        resourceType: 'notification_template',
        resourceId: id,
        payload: { key: row.key, channel: row.channel, locale: row.locale },
      },
      { clock: deps.clock },
    );
    return { id, deleted: true as const };
  });
}
