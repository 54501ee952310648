import { useTestDatabase } from '@atrium/testkit';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

describe('migrations', () => {
  const t = useTestDatabase();

  it('creates the foundation tables in a fresh database', async () => {
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`.execute(
      t.db,
    );
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['inbox', 'orgs', 'outbox_events']));
  });

  it('enforces unique org slugs', async () => {
    await t.db.insertInto('orgs').values({ slug: 'acme', name: 'Acme' }).execute();
    await expect(
      t.db.insertInto('orgs').values({ slug: 'acme', name: 'Acme again' }).execute(),
    ).rejects.toThrow(/duplicate key/);
  });
});
