import { useTestDatabase } from '@atrium/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg } from '../../src/tenancy/orgs.ts';
import { scoped } from '../../src/tenancy/scoped.ts';

describe('scoped(db, orgId): org-scoped queries by construction', () => {
  const t = useTestDatabase();
  let a: string;
  let b: string;
  let userOfB: string;

  beforeAll(async () => {
    a = (await t.db.transaction().execute((trx) => createOrg(trx, { name: 'Scope A' }))).id;
    b = (await t.db.transaction().execute((trx) => createOrg(trx, { name: 'Scope B' }))).id;
    await scoped(t.db, a).insertInto('users', { email: 'a1@scope.test', name: 'A1' }).execute();
    await scoped(t.db, a)
      .insertInto('users', [{ email: 'a2@scope.test', name: 'A2' }])
      .execute();
    userOfB = (
      await scoped(t.db, b)
        .insertInto('users', { email: 'b1@scope.test', name: 'B1' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });

  it('sets org_id on insert', async () => {
    const rows = await t.db.selectFrom('users').select(['email', 'org_id']).orderBy('email').execute();
    expect(rows).toEqual([
      { email: 'a1@scope.test', org_id: a },
      { email: 'a2@scope.test', org_id: a },
      { email: 'b1@scope.test', org_id: b },
    ]);
  });

  it("selects only the org's rows; another org's row is simply not there", async () => {
    const names = await scoped(t.db, a).selectFrom('users').select('name').orderBy('name').execute();
    expect(names.map((r) => r.name)).toEqual(['A1', 'A2']);
    const foreign = await scoped(t.db, a)
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userOfB)
      .executeTakeFirst();
    expect(foreign).toBeUndefined();
  });

  it("cannot update or delete another org's rows", async () => {
    const updated = await scoped(t.db, a)
      .updateTable('users')
      .set({ name: 'hijacked' })
      .where('id', '=', userOfB)
      .executeTakeFirst();
    expect(Number(updated.numUpdatedRows)).toBe(0);
    const deleted = await scoped(t.db, a).deleteFrom('users').where('id', '=', userOfB).executeTakeFirst();
    expect(Number(deleted.numDeletedRows)).toBe(0);
    const b1 = await t.db
      .selectFrom('users')
      .select('name')
      .where('id', '=', userOfB)
      .executeTakeFirstOrThrow();
    expect(b1.name).toBe('B1');
  });

  it('keeps the filter through joins (qualified column)', async () => {
    const rows = await scoped(t.db, b)
      .selectFrom('roles')
      .innerJoin('orgs', 'orgs.id', 'roles.org_id')
      .select(['roles.name', 'orgs.name as org'])
      .execute();
    expect(new Set(rows.map((r) => r.org))).toEqual(new Set(['Scope B']));
  });

  it('refuses an empty org id', () => {
    expect(() => scoped(t.db, '')).toThrow(/org id/);
  });

  it('and the schema itself refuses a role of another org on a user', async () => {
    const roleOfB = await scoped(t.db, b)
      .selectFrom('roles')
      .select('id')
      .where('name', '=', 'admin')
      .executeTakeFirstOrThrow();
    const userOfA = await scoped(t.db, a).selectFrom('users').select('id').executeTakeFirstOrThrow();
    await expect(
      t.db.insertInto('user_roles').values({ org_id: a, user_id: userOfA.id, role_id: roleOfB.id }).execute(),
    ).rejects.toThrow(/user_roles_role_fkey/);
    await expect(
      t.db.insertInto('user_roles').values({ org_id: b, user_id: userOfA.id, role_id: roleOfB.id }).execute(),
    ).rejects.toThrow(/user_roles_user_fkey/);
  });
});
