/**
 * Every permission the product knows (SPEC §1). Procedures name one of these; roles grant sets of
 * them. Adding a permission is adding a line here — the type keeps procedures and roles honest.
 */
export const PERMISSIONS = [
  'content.write',
  'content.publish',
  'content.review',
  'creators.review',
  'users.manage',
  'roles.manage',
  'org.manage',
  'datasets.ingest',
  'datasets.read',
  'workplace.write',
  'workplace.sync',
  'notifications.send',
  'logs.read',
  'incidents.manage',
  'audit.read',
  'scheduler.manage',
  'ops.read',
  'ops.manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
