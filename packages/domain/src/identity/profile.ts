import { z } from 'zod';
import type { Permission } from '../access/permissions.ts';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError } from '../errors.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { IdentityDeps } from './deps.ts';
import { ZPersonName } from './register.ts';

export const ZUpdateMeInput = z.object({ name: ZPersonName });
export type UpdateMeInput = z.infer<typeof ZUpdateMeInput>;

/** `users.me`: who the caller is, with what they may do and what the app must ask of them. */
export interface MyProfile {
  id: string;
  email: string;
  name: string;
  org: { id: string; slug: string; name: string };
  roles: string[];
  permissions: Permission[];
  platformRole: 'operator' | null;
  mustChangePassword: boolean;
  emailVerifiedAt: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export async function getMyProfile(deps: Pick<IdentityDeps, 'db'>, session: Session): Promise<MyProfile> {
  const user = await scoped(deps.db, session.orgId)
    .selectFrom('users')
    .innerJoin('orgs', 'orgs.id', 'users.org_id')
    .select([
      'users.id',
      'users.email',
      'users.name',
      'users.must_change_password',
      'users.email_verified_at',
      'users.last_login_at',
      'users.created_at',
      'orgs.slug as org_slug',
      'orgs.name as org_name',
    ])
    .where('users.id', '=', session.userId)
    .executeTakeFirst();
  if (!user) throw new NotFoundError('User');
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    org: { id: session.orgId, slug: user.org_slug, name: user.org_name },
    // The session's roles and permissions are the current ones (authenticate checked the version).
    roles: [...session.roles],
    permissions: [...session.permissions].sort(),
    platformRole: session.platformRole,
    mustChangePassword: user.must_change_password,
    emailVerifiedAt: user.email_verified_at,
    lastLoginAt: user.last_login_at,
    createdAt: user.created_at,
  };
}

/** `users.updateMe {name}`. */
export async function updateMyProfile(
  deps: Pick<IdentityDeps, 'db' | 'clock'>,
  session: Session,
  input: UpdateMeInput,
): Promise<MyProfile> {
  await deps.db.transaction().execute(async (trx) => {
    const updated = await scoped(trx, session.orgId)
      .updateTable('users')
      .set({ name: input.name, updated_at: deps.clock.now() })
      .where('id', '=', session.userId)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new NotFoundError('User');
    await appendAudit(trx, {
      orgId: session.orgId,
      actorId: session.userId,
      action: 'user.updated',
      resourceType: 'user',
      resourceId: session.userId,
      payload: { name: input.name },
    });
  });
  return getMyProfile(deps, session);
}
