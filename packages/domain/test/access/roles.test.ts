import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/access/permissions.ts';
import {
  BUILT_IN_ROLE_NAMES,
  BUILT_IN_ROLES,
  effectivePermissions,
  ORG_PERMISSIONS,
  syncBuiltInRoles,
} from '../../src/access/roles.ts';
import { createOrg } from '../../src/tenancy/orgs.ts';

describe('built-in roles (SPEC §1)', () => {
  it('grants exactly the agreed permissions', () => {
    expect([...BUILT_IN_ROLES.admin].sort()).toEqual(
      PERMISSIONS.filter((p) => p !== 'scheduler.manage').sort(),
    );
    expect(BUILT_IN_ROLES.manager).toEqual(['workplace.write', 'workplace.sync', 'datasets.read']);
    expect(BUILT_IN_ROLES.editor).toEqual([
      'content.write',
      'content.publish',
      'content.review',
      'creators.review',
      'datasets.read',
    ]);
    expect(BUILT_IN_ROLES.creator).toEqual(['content.write', 'datasets.read']);
    expect(BUILT_IN_ROLES.publisher).toEqual(['datasets.ingest', 'datasets.read']);
    expect(BUILT_IN_ROLES.viewer).toEqual(['datasets.read']);
    expect(ORG_PERMISSIONS).not.toContain('scheduler.manage');
  });

  it('computes effective permissions as the union, plus the operator platform permissions', () => {
    expect(effectivePermissions([BUILT_IN_ROLES.viewer, BUILT_IN_ROLES.creator], null)).toEqual([
      'content.write',
      'datasets.read',
    ]);
    expect(effectivePermissions([['datasets.read', 'retired.permission']], null)).toEqual(['datasets.read']);
    expect(effectivePermissions([BUILT_IN_ROLES.viewer], 'operator')).toEqual([
      'datasets.read',
      'ops.manage',
      'ops.read',
      'scheduler.manage',
    ]);
  });
});

describe('materialised built-in roles', () => {
  const t = useTestDatabase();

  it('exist for every org created through createOrg', async () => {
    const org = await t.db.transaction().execute((trx) => createOrg(trx, { name: 'Roles Org' }));
    const roles = await t.db
      .selectFrom('roles')
      .selectAll()
      .where('org_id', '=', org.id)
      .orderBy('name')
      .execute();
    expect(roles.map((r) => r.name).sort()).toEqual([...BUILT_IN_ROLE_NAMES].sort());
    for (const role of roles) {
      expect(role.is_builtin).toBe(true);
      expect([...role.permissions].sort()).toEqual([...BUILT_IN_ROLES[role.name as 'admin']].sort());
    }
  });

  it('are brought back in line with the code at start, bumping the holders', async () => {
    const org = await t.db.transaction().execute((trx) => createOrg(trx, { name: 'Drift Org' }));
    const editor = await t.db
      .selectFrom('roles')
      .select('id')
      .where('org_id', '=', org.id)
      .where('name', '=', 'editor')
      .executeTakeFirstOrThrow();
    await t.db
      .updateTable('roles')
      .set({ permissions: ['datasets.read'] })
      .where('id', '=', editor.id)
      .execute();
    const user = await createTestUser(t.db, { orgId: org.id, roles: ['editor'], name: 'Drift' });
    // An org inserted behind the domain's back (an old seed) has no roles yet.
    const bare = await createTestOrg(t.db, { name: 'Bare', bare: true });

    const { affectedUserIds } = await t.db.transaction().execute((trx) => syncBuiltInRoles(trx));
    expect(affectedUserIds).toEqual([user.id]);
    const repaired = await t.db
      .selectFrom('roles')
      .select('permissions')
      .where('id', '=', editor.id)
      .executeTakeFirstOrThrow();
    expect([...repaired.permissions].sort()).toEqual([...BUILT_IN_ROLES.editor].sort());
    const bumped = await t.db
      .selectFrom('users')
      .select('permission_version')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(bumped.permission_version).toBe(2);
    const bareRoles = await t.db.selectFrom('roles').select('name').where('org_id', '=', bare.id).execute();
    expect(bareRoles).toHaveLength(BUILT_IN_ROLE_NAMES.length);

    // Nothing left to do the second time.
    const again = await t.db.transaction().execute((trx) => syncBuiltInRoles(trx));
    expect(again.affectedUserIds).toEqual([]);
  });
});
