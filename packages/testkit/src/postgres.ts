import { createDb, type Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { newDatabaseName, TEST_DATABASE_PREFIX, withDatabase } from './database-names.ts';
import './context.ts';

export interface TestDatabase {
  name: string;
  /** Connection string for this database; hand it to processes under test (API, worker, relay). */
  url: string;
  db: Kysely<Database>;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database cloned from the run's template. Call drop() when done. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl, templateDatabase } = inject('atriumPostgres');
  const name = newDatabaseName(TEST_DATABASE_PREFIX);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const handle = createDb({ connectionString: url, poolSize: 5, applicationName: 'atrium-test' });
  return {
    name,
    url,
    db: handle.db,
    pool: handle.pool,
    async drop() {
      await handle.destroy();
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/**
 * Registers beforeAll/afterAll for a file or describe block and returns a handle whose fields are
 * readable once the hooks ran: `const t = useTestDatabase(); it('…', () => t.db.selectFrom…)`.
 */
export function useTestDatabase(): TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase();
  });
  afterAll(async () => {
    await current?.drop();
  });
  const get = (): TestDatabase => {
    if (!current)
      throw new Error('useTestDatabase(): read the database inside a test or hook, not at collection time');
    return current;
  };
  return {
    get name() {
      return get().name;
    },
    get url() {
      return get().url;
    },
    get db() {
      return get().db;
    },
    get pool() {
      return get().pool;
    },
    drop: () => get().drop(),
  };
}
