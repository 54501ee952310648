import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { describe, expect, it } from 'vitest';
import { loadAuthState } from '../../src/access/authorization.ts';
import { NotFoundError, ValidationError } from '../../src/errors.ts';
import { addUserRole } from '../../src/identity/user-admin.ts';

describe('addUserRole (add-only grant for other modules, e.g. creator approval)', () => {
  const t = useTestDatabase();

  async function viewer() {
    const org = await createTestOrg(t.db, { name: 'Grant Org' });
    const user = await createTestUser(t.db, { orgId: org.id, roles: ['viewer'], name: 'G' });
    return { orgId: org.id, userId: user.id };
  }

  it('adds the role without removing any, bumps the permission version once, and is a no-op the second time', async () => {
    const { orgId, userId } = await viewer();
    const first = await t.db
      .transaction()
      .execute((trx) => addUserRole(trx, { orgId, userId, roleName: 'creator' }));
    expect(first).toEqual({ added: true });
    const second = await t.db
      .transaction()
      .execute((trx) => addUserRole(trx, { orgId, userId, roleName: 'creator' }));
    expect(second).toEqual({ added: false });
    const state = await loadAuthState(t.db, userId);
    expect(state).toMatchObject({ roles: ['creator', 'viewer'], pv: 2 });
    expect(state?.permissions).toEqual(['content.write', 'datasets.read']);
  });

  it('refuses an unknown role (400) and another org (404)', async () => {
    const { orgId, userId } = await viewer();
    await expect(
      t.db.transaction().execute((trx) => addUserRole(trx, { orgId, userId, roleName: 'wizard' })),
    ).rejects.toBeInstanceOf(ValidationError);
    const other = await viewer();
    await expect(
      t.db
        .transaction()
        .execute((trx) => addUserRole(trx, { orgId: other.orgId, userId, roleName: 'creator' })),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
