import type { Database, NotificationChannel } from '@atrium/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { NotFoundError } from '../errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import {
  MAX_BODY_LENGTH,
  MAX_SUBJECT_LENGTH,
  placeholdersOf,
  renderTemplate,
  textToHtml,
  ZNotificationVariables,
} from './render.ts';
import { ZChannel } from './templates.ts';

/**
 * Previews (Admin → Notifications): a template or a written message rendered exactly as it will be
 * sent — `renderTemplate` as at enqueue, and for email the HTML part by `textToHtml`, the function the
 * worker's dispatcher sends — with sample values for the variables nobody typed yet. No second
 * renderer exists for the browser to drift from.
 */

/** Sample values for the variables Atrium's built-in templates use; any other gets `<name>`. */
const SAMPLE_VALUES: Readonly<Record<string, string | number>> = {
  code: '482913',
  validMinutes: 15,
  resetUrl: 'https://atrium.example/reset-password?token=sample',
  signInUrl: 'https://atrium.example/sign-in',
  url: 'https://atrium.example/admin',
  email: 'someone@example.com',
  temporaryPassword: 'sample-password',
  how: 'from your profile',
  applicationId: 'A-1024',
  approvedAt: '3 December 2026',
  rejectedAt: '3 December 2026',
  roleName: 'creator',
  nextSteps: 'Open the Creator area to publish your first piece.',
  reason: 'The portfolio link did not open.',
  title: 'Error rate above threshold',
  severity: 'high',
  what: 'the spaces of the Zürich office',
  error: 'The label server did not answer',
};

export const ZPreviewNotificationInput = z.union([
  z
    .object({
      templateId: z.uuid(),
      variables: ZNotificationVariables.default({}),
    })
    .strict(),
  z
    .object({
      channel: ZChannel,
      subject: z.string().max(MAX_SUBJECT_LENGTH),
      body: z.string().max(MAX_BODY_LENGTH),
      variables: ZNotificationVariables.default({}),
    })
    .strict(),
]);
export type PreviewNotificationInput = z.input<typeof ZPreviewNotificationInput>;

export interface NotificationPreviewDto {
  channel: NotificationChannel;
  subject: string;
  /** The plain-text part (email) or the in-app text. */
  text: string;
  /** The HTML part of an email, as the worker sends it; null for in-app. */
  html: string | null;
  /** Variables shown with a sample value because none was given. */
  sampled: string[];
}

/**
 * `notifications.preview`: a visible template (a built-in or the org's own; another org's → 404) or a
 * subject and body, rendered with the given variables, the organisation's name, the previewing
 * admin's name as the recipient's, and samples for the rest. A malformed placeholder → 400.
 */
export async function previewNotification(
  deps: { db: Kysely<Database> },
  session: Session,
  rawInput: PreviewNotificationInput,
): Promise<NotificationPreviewDto> {
  const input = validateInput(ZPreviewNotificationInput, rawInput);
  let source: { channel: NotificationChannel; subject: string; body: string };
  if ('templateId' in input) {
    const row = await deps.db
      .selectFrom('notification_templates')
      .select(['channel', 'subject', 'body'])
      .where('id', '=', input.templateId)
      .where((eb) => eb.or([eb('org_id', '=', session.orgId), eb('org_id', 'is', null)]))
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Template');
    source = row;
  } else {
    source = input;
  }
  const [org, me] = await Promise.all([
    deps.db.selectFrom('orgs').select('name').where('id', '=', session.orgId).executeTakeFirst(),
    scoped(deps.db, session.orgId)
      .selectFrom('users')
      .select('name')
      .where('id', '=', session.userId)
      .executeTakeFirst(),
  ]);
  const used = [
    ...new Set([...placeholdersOf(source.subject, 'subject'), ...placeholdersOf(source.body, 'body')]),
  ];
  // As at enqueue: what Atrium fills in wins over anything given.
  const filled: Record<string, string | number | boolean> = {
    ...input.variables,
    orgName: org?.name ?? 'Your organisation',
    name: me?.name ?? 'A member',
  };
  const sampled: string[] = [];
  for (const name of used) {
    const given = filled[name];
    if (given === undefined || (typeof given === 'string' && given.trim() === '')) {
      filled[name] = SAMPLE_VALUES[name] ?? `<${name}>`;
      sampled.push(name);
    }
  }
  const rendered = renderTemplate(
    { subject: source.subject.trim() || '(no subject)', body: source.body.trim() || '(no body)' },
    filled,
  );
  return {
    channel: source.channel,
    subject: rendered.subject,
    text: rendered.body,
    html: source.channel === 'email' ? textToHtml(rendered.body) : null,
    sampled,
  };
}
