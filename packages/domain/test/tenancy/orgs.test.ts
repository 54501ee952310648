import { useTestDatabase } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.ts';
import { createOrg, findOrgBySlug, slugify } from '../../src/tenancy/orgs.ts';

describe('slugify', () => {
  it('derives a valid slug from any name', () => {
    expect(slugify('Acme Media')).toBe('acme-media');
    expect(slugify('Zürich Media & Co.')).toBe('zurich-media-co');
    expect(slugify('  --Hello__World--  ')).toBe('hello-world');
    expect(slugify('ÆØÅ')).toBe('org');
    expect(slugify('x')).toBe('org');
    expect(slugify('Admin')).toBe('admin-org');
    expect(slugify('a'.repeat(100))).toHaveLength(40);
  });
});

describe('createOrg', () => {
  const t = useTestDatabase();

  it('makes the slug unique, materialises the roles and writes OrgCreated in the same transaction', async () => {
    const first = await t.db.transaction().execute((trx) => createOrg(trx, { name: 'Same Name' }));
    const second = await t.db.transaction().execute((trx) => createOrg(trx, { name: 'Same Name' }));
    const third = await t.db.transaction().execute((trx) => createOrg(trx, { name: 'same name!' }));
    expect([first.slug, second.slug, third.slug]).toEqual(['same-name', 'same-name-2', 'same-name-3']);
    expect(first.settings).toMatchObject({ allowSignup: false, defaultRole: 'viewer' });

    const events = await t.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('type', '=', 'OrgCreated')
      .where('aggregate_id', '=', second.id)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ org_id: second.id, aggregate_type: 'org' });
    expect(events[0]?.payload).toEqual({ orgId: second.id, slug: 'same-name-2', name: 'Same Name' });
    const roles = await t.db.selectFrom('roles').select('name').where('org_id', '=', second.id).execute();
    expect(roles).toHaveLength(6);
  });

  it('leaves nothing behind when the surrounding transaction rolls back', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await createOrg(trx, { name: 'Rolled Back' });
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect(await findOrgBySlug(t.db, 'rolled-back')).toBeNull();
  });

  it('refuses a taken explicit slug with 409', async () => {
    await t.db.transaction().execute((trx) => createOrg(trx, { name: 'Fixed', slug: 'fixed-slug' }));
    await expect(
      t.db.transaction().execute((trx) => createOrg(trx, { name: 'Fixed again', slug: 'fixed-slug' })),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it("keeps other modules' settings keys and reads identity defaults", async () => {
    const org = await t.db
      .transaction()
      .execute((trx) =>
        createOrg(trx, { name: 'Settings', settings: { allowSignup: true, conflictStrategy: 'aims_wins' } }),
      );
    const found = await findOrgBySlug(t.db, org.slug);
    expect(found?.settings).toEqual({
      allowSignup: true,
      defaultRole: 'viewer',
      conflictStrategy: 'aims_wins',
    });
  });
});
