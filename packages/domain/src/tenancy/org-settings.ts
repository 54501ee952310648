import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { adminLevelPermissionsOf } from '../access/roles.ts';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { assertCanGrant } from '../identity/user-admin.ts';
import type { Clock } from '../platform/clock.ts';
import { validateInput } from '../platform/validate-input.ts';
import { parseOrgSettings } from './orgs.ts';
import { scoped } from './scoped.ts';

/**
 * Admin → Organisation (SPEC §1): whether people may join the org by signing up (`allowSignup`) and
 * the role they get (`defaultRole`). Both live in `orgs.settings`, next to other modules' keys (the
 * notification policy, AIMS, conflictStrategy…), which an update never touches.
 */

/** Where the web app's sign-up page preselects joining an org. */
export function signUpPathOf(slug: string): string {
  return `/sign-up?org=${encodeURIComponent(slug)}`;
}

export interface DefaultRoleChoice {
  name: string;
  builtIn: boolean;
  /** Null when the role may be the sign-up default; otherwise why not, in words for people. */
  notEligibleBecause: string | null;
}

export interface OrgSettingsView {
  slug: string;
  name: string;
  allowSignup: boolean;
  defaultRole: string;
  /** Relative to the web app: `/sign-up?org=<slug>`. */
  signUpPath: string;
  /** Every role of the org, and whether it may be the default (for the settings form). */
  roleChoices: DefaultRoleChoice[];
}

export const ZUpdateOrgSettingsInput = z.object({
  allowSignup: z.boolean(),
  defaultRole: z.string().trim().min(1, { message: 'Choose a role' }).max(40),
});
export type UpdateOrgSettingsInput = z.input<typeof ZUpdateOrgSettingsInput>;

function notEligibleBecause(permissions: readonly string[]): string | null {
  const adminLevel = adminLevelPermissionsOf(permissions);
  return adminLevel.length === 0
    ? null
    : `It can administer the organisation (${adminLevel.join(', ')}), and anyone with the link could get it`;
}

async function roleChoices(db: Kysely<Database>, orgId: string): Promise<DefaultRoleChoice[]> {
  const roles = await scoped(db, orgId)
    .selectFrom('roles')
    .select(['name', 'permissions', 'is_builtin'])
    .orderBy('is_builtin', 'desc')
    .orderBy('name')
    .execute();
  return roles.map((role) => ({
    name: role.name,
    builtIn: role.is_builtin,
    notEligibleBecause: notEligibleBecause(role.permissions),
  }));
}

/** `orgs.settings.get` (org.manage): the caller's org's sign-up settings and the roles to choose from. */
export async function getOrgSettings(
  deps: { db: Kysely<Database> },
  actor: Session,
): Promise<OrgSettingsView> {
  const org = await deps.db
    .selectFrom('orgs')
    .select(['slug', 'name', 'settings'])
    .where('id', '=', actor.orgId)
    .executeTakeFirst();
  if (!org) throw new NotFoundError('Organisation');
  const settings = parseOrgSettings(org.settings);
  return {
    slug: org.slug,
    name: org.name,
    allowSignup: settings.allowSignup,
    defaultRole: settings.defaultRole,
    signUpPath: signUpPathOf(org.slug),
    roleChoices: await roleChoices(deps.db, actor.orgId),
  };
}

/**
 * `orgs.settings.update {allowSignup, defaultRole}` (org.manage). The default role must be a role of
 * the org (400) that grants no admin-level permission (400: anyone holding the link would get it)
 * and only permissions the actor holds (403, as for every role handed out).
 * Only these two keys of `orgs.settings` are written (a jsonb merge under the org row's lock), so the
 * notification policy and the workplace settings stay as they are. Audited `org.settings_updated`
 * with before and after; an update that changes nothing writes nothing.
 */
export async function updateOrgSettings(
  deps: { db: Kysely<Database>; clock?: Clock },
  actor: Session,
  rawInput: UpdateOrgSettingsInput,
): Promise<OrgSettingsView> {
  const input = validateInput(ZUpdateOrgSettingsInput, rawInput);
  await deps.db.transaction().execute(async (trx) => {
    const org = await trx
      .selectFrom('orgs')
      .select('settings')
      .where('id', '=', actor.orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!org) throw new NotFoundError('Organisation');
    // The role row is share-locked, so a concurrent edit cannot make it admin-level under us.
    const role = await scoped(trx, actor.orgId)
      .selectFrom('roles')
      .select(['name', 'permissions'])
      .where('name', '=', input.defaultRole)
      .forShare()
      .executeTakeFirst();
    if (!role) {
      throw new ValidationError('Choose one of the organisation’s roles', {
        defaultRole: [`No role named "${input.defaultRole}" in this organisation`],
      });
    }
    const refusal = notEligibleBecause(role.permissions);
    if (refusal) {
      throw new ValidationError('This role cannot be given to people who sign up', {
        defaultRole: [refusal],
      });
    }
    // As with every role handed out: only permissions the actor holds (403).
    assertCanGrant(actor, [role]);
    const current = parseOrgSettings(org.settings);
    const before = { allowSignup: current.allowSignup, defaultRole: current.defaultRole };
    const after = { allowSignup: input.allowSignup, defaultRole: role.name };
    if (before.allowSignup === after.allowSignup && before.defaultRole === after.defaultRole) return;
    await trx
      .updateTable('orgs')
      // `||` merges at the top level: every other key of the settings stays as it is.
      .set({ settings: sql`coalesce(settings, '{}'::jsonb) || ${JSON.stringify(after)}::jsonb` })
      .where('id', '=', actor.orgId)
      .execute();
    await appendAudit(
      trx,
      {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: 'org.settings_updated',
        resourceType: 'org',
        resourceId: actor.orgId,
        payload: { before, after },
      },
      { clock: deps.clock },
    );
  });
  return getOrgSettings(deps, actor);
}
