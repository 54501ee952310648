/**
 * What SPEC §7 audits, as `<area>.<thing>[.<verb>]` names. Use cases name one of these when they call
 * `appendAudit`, so a typo is a type error and the admin UI can offer the list as a filter. Adding an
 * audited action is adding a line here. Names are never renamed once entries carry them (the chain
 * covers the action text); retire one by leaving it in place.
 */
export const AUDIT_ACTIONS = [
  // Authentication (SPEC §1 flows)
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.logout',
  'auth.refresh_token.reused',
  'auth.refresh_token.rotated',
  'auth.email.verified',
  'auth.email_verification.requested',
  'auth.password.changed',
  'auth.password_reset.requested',
  'auth.password_reset.completed',
  // Users and orgs
  'org.created',
  'org.settings_updated',
  'user.registered',
  'user.created',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.roles_set',
  'user.session_revoked',
  'user.sessions_revoked',
  'user.invited',
  'user.invitation_resent',
  'user.invitation_revoked',
  'user.invitation_accepted',
  'org.notification_policy_set',
  // Roles
  'role.created',
  'role.updated',
  'role.deleted',
  // Creator programme and content (approvals, publishes, deletes)
  'creator.approved',
  'creator.rejected',
  'content.approved',
  'content.rejected',
  'content.published',
  'content.unpublished',
  'content.deleted',
  'dataset.published',
  'dataset.deleted',
  'file.deleted',
  // Workplace and AIMS (sync triggers, connection changes, deletes)
  'workplace.space.deleted',
  'workplace.person.deleted',
  'workplace.room.deleted',
  'workplace.aims.configured',
  'workplace.sync.triggered',
  // Incidents and alerting
  'alert_rule.created',
  'alert_rule.updated',
  'alert_rule.deleted',
  'incident.acknowledged',
  'incident.resolved',
  'api_key.created',
  'api_key.revoked',
  // Scheduler (SPEC §8)
  'scheduler.schedule.created',
  'scheduler.schedule.updated',
  'scheduler.schedule.paused',
  'scheduler.schedule.resumed',
  'scheduler.schedule.triggered',
  'scheduler.schedule.unquarantined',
  'scheduler.schedule.deleted',
  // Ops console: every ops action is audited (SPEC §8)
  'ops.job.retried',
  'ops.job.cancelled',
  'ops.job.deleted',
  'ops.dead_letter.redriven',
  'ops.dead_letter.discarded',
  'ops.job.run_now',
  'ops.queue.paused',
  'ops.queue.resumed',
  'ops.queue.failed_retried',
  'ops.outbox.replayed',
  // Notifications (SPEC §6)
  'notification.queued',
  'notification.audience_queued',
  'notification.cancelled',
  'notification_template.upserted',
  'notification_template.deleted',
  // The audit log itself
  'audit.integrity_failed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const KNOWN = new Set<string>(AUDIT_ACTIONS);

export function isAuditAction(value: string): value is AuditAction {
  return KNOWN.has(value);
}

/**
 * The shape every action and resource type has (lower-case words joined by dots). Listing accepts any
 * name of this shape, so entries of an action retired from the list above stay searchable.
 */
export const AUDIT_NAME_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
