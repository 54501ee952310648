/**
 * What Atrium keeps to itself in notifications (SPEC §6, `packages/domain/src/notifications/policy.ts`
 * and `templates.ts`; the API enforces it, these copies only keep the forms from offering it):
 *
 * - platform templates are sent by their own flows (sign-up, password reset, invitations), never by
 *   hand through `notifications.send`;
 * - the invitation emails reach people outside the organisation, so their text cannot be overridden;
 * - the variables the platform fills in for every notification cannot be supplied by the sender.
 */
export const PLATFORM_TEMPLATE_KEYS: ReadonlySet<string> = new Set([
  'verify-email',
  'password-reset',
  'welcome',
  'password-changed',
  'invitation',
  'invitation-existing-account',
]);

export const FIXED_TEXT_TEMPLATE_KEYS: ReadonlySet<string> = new Set([
  'invitation',
  'invitation-existing-account',
]);

/** Filled in by Atrium for every template: the organisation's name, and a member's name. */
export const PLATFORM_VARIABLES: ReadonlySet<string> = new Set(['name', 'orgName']);
