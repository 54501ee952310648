import type { Database } from '@atrium/db';
import { createAccessTokens } from '@atrium/domain/access/access-tokens';
import { loadAuthState, sessionFromAuthState } from '@atrium/domain/access/authorization';
import type { Permission } from '@atrium/domain/access/permissions';
import type { Session } from '@atrium/domain/access/session';
import { replaceUserRoles, resolveRoles } from '@atrium/domain/identity/users';
import { hashPassword } from '@atrium/domain/platform/passwords';
import { createOrg } from '@atrium/domain/tenancy/orgs';
import type { Kysely } from 'kysely';

/** The password every test account gets unless it asks for another (passes the strength rules). */
export const TEST_PASSWORD = 'correct-horse-battery-staple';

/** An address no other test of the run uses: `label.<time><random>@example.test`. */
export function uniqueEmail(label = 'user'): string {
  return `${label}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}@example.test`;
}

export interface TestOrg {
  id: string;
  slug: string;
  name: string;
}

/**
 * An organisation. By default made the way `auth.register` makes one — through the domain's
 * `createOrg`: a unique slug from the name, its built-in roles, an `OrgCreated` outbox event.
 * `bare: true` inserts the `orgs` row only (no roles, no event), as an org made behind the domain's
 * back: for tests of the outbox, audit or ops that must see nothing but their own rows.
 */
export async function createTestOrg(
  db: Kysely<Database>,
  input: { name?: string; slug?: string; settings?: Record<string, unknown>; bare?: boolean } = {},
): Promise<TestOrg> {
  const name = input.name ?? `Org ${Math.random().toString(36).slice(2, 8)}`;
  if (input.bare) {
    const slug = input.slug ?? `org-${crypto.randomUUID().slice(0, 8)}`;
    const row = await db
      .insertInto('orgs')
      .values({ slug, name, ...(input.settings ? { settings: input.settings } : {}) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, slug, name };
  }
  const org = await db.transaction().execute((trx) =>
    createOrg(trx, {
      name,
      ...(input.slug ? { slug: input.slug } : {}),
      ...(input.settings ? { settings: input.settings } : {}),
    }),
  );
  return { id: org.id, slug: org.slug, name: org.name };
}

export interface TestUser {
  id: string;
  orgId: string;
  email: string;
  name: string;
  /** What to sign in with. */
  password: string;
}

export interface TestUserInput {
  orgId: string;
  /** Role names of the org (default `['viewer']`; `[]` for none). */
  roles?: readonly string[];
  email?: string;
  name?: string;
  /** Default TEST_PASSWORD. */
  password?: string;
  /** Email verified (default true). */
  verified?: boolean;
  status?: 'active' | 'disabled';
  platformRole?: 'operator';
  mustChangePassword?: boolean;
}

// argon2id takes ~75 ms a hash: every account of a test file with the default password shares one.
const hashes = new Map<string, Promise<string>>();
const hashOf = (password: string) => {
  let hash = hashes.get(password);
  if (!hash) {
    hash = hashPassword(password);
    hashes.set(password, hash);
  }
  return hash;
};

/**
 * A member of an org, straight into the database with its roles (resolved and assigned the way
 * `users.setRoles` does). Active and verified unless told otherwise.
 */
export async function createTestUser(db: Kysely<Database>, input: TestUserInput): Promise<TestUser> {
  const email = input.email ?? uniqueEmail();
  const name = input.name ?? 'Test User';
  const password = input.password ?? TEST_PASSWORD;
  const passwordHash = await hashOf(password);
  const id = await db.transaction().execute(async (trx) => {
    const user = await trx
      .insertInto('users')
      .values({
        org_id: input.orgId,
        email,
        name,
        password_hash: passwordHash,
        email_verified_at: input.verified === false ? null : new Date(),
        status: input.status ?? 'active',
        platform_role: input.platformRole ?? null,
        must_change_password: input.mustChangePassword ?? false,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const roles = await resolveRoles(trx, input.orgId, [...(input.roles ?? ['viewer'])]);
    await replaceUserRoles(
      trx,
      input.orgId,
      user.id,
      roles.map((role) => role.id),
    );
    return user.id;
  });
  return { id, orgId: input.orgId, email, name, password };
}

/** The session identity computes for a stored user (roles, permissions, pv), as a request would see it. */
export async function sessionOf(db: Kysely<Database>, userId: string): Promise<Session> {
  const state = await loadAuthState(db, userId);
  if (!state) throw new Error(`sessionOf: no user ${userId}`);
  return sessionFromAuthState(state);
}

/**
 * A session made up for a domain call that takes any Session, without a user row behind it (a random
 * user id unless given). Only what it states: no roles, no permissions, no platform role by default.
 */
export function testSession(input: {
  orgId: string;
  userId?: string;
  roles?: readonly string[];
  permissions?: readonly Permission[];
  platformRole?: 'operator' | null;
}): Session {
  return {
    userId: input.userId ?? crypto.randomUUID(),
    orgId: input.orgId,
    roles: [...(input.roles ?? [])],
    permissions: new Set<Permission>(input.permissions ?? []),
    platformRole: input.platformRole ?? null,
    permissionVersion: 1,
  };
}

/**
 * An access token for a stored user, signed the way `auth.login` signs one (the user's current roles
 * and permission version), for tests that call the API as that user without signing in over HTTP.
 */
export async function accessTokenFor(
  db: Kysely<Database>,
  userId: string,
  options: { secret: string; ttlSeconds?: number },
): Promise<string> {
  const state = await loadAuthState(db, userId);
  if (!state) throw new Error(`accessTokenFor: no user ${userId}`);
  const tokens = createAccessTokens({ secret: options.secret, ttlSeconds: options.ttlSeconds ?? 900 });
  const { accessToken } = await tokens.issue({
    userId: state.userId,
    orgId: state.orgId,
    roles: state.roles,
    pv: state.pv,
  });
  return accessToken;
}
