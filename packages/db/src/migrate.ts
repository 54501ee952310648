import type { Kysely } from 'kysely';
import { type MigrationResultSet, Migrator } from 'kysely/migration';
import { migrations } from '../migrations/index.ts';

/** Runs every pending migration forward. Throws (with the failing migration's name) on error. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator runs on any schema, including one Database does not describe yet
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // Concurrent starters (API, worker and scheduler booting together) serialise on Kysely's
    // migration lock table, so running this from every process is safe.
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = result.error instanceof Error ? result.error : new Error(String(result.error));
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause.message}`, { cause });
  }
  return result;
}
