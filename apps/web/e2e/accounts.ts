import type { Database } from '@atrium/db';
import { replaceUserRoles, resolveRoles } from '@atrium/domain/identity/users';
import { hashPassword } from '@atrium/domain/platform/passwords';
import { createOrg } from '@atrium/domain/tenancy/orgs';
import type { DemoAccount } from '@atrium/seed';
import type { Kysely } from 'kysely';

/**
 * An organisation and its members, made the way packages/db/src/seed.ts makes accounts: the org
 * through the domain (built-in roles included), verified users sharing one argon2 hash of
 * `password`, their roles (and platform role, for operators).
 */
export async function createOrgWithMembers(
  db: Kysely<Database>,
  input: { org: string; password: string; members: readonly DemoAccount[] },
): Promise<void> {
  const passwordHash = await hashPassword(input.password);
  await db.transaction().execute(async (trx) => {
    const org = await createOrg(trx, { name: input.org });
    for (const member of input.members) {
      const user = await trx
        .insertInto('users')
        .values({
          org_id: org.id,
          email: member.email,
          name: member.name,
          password_hash: passwordHash,
          email_verified_at: new Date(),
          platform_role: member.platformRole ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const roles = await resolveRoles(trx, org.id, member.roles);
      await replaceUserRoles(
        trx,
        org.id,
        user.id,
        roles.map((role) => role.id),
      );
    }
  });
}
