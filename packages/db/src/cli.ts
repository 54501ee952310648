/** `pnpm db:migrate` against DATABASE_URL. (`pnpm db:seed` is @atrium/seed's: the seed needs the domain.) */
import { createDb } from './client.ts';
import { migrateToLatest } from './migrate.ts';

const command = process.argv[2];
const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    'DATABASE_URL is required (pnpm dev starts an embedded database; set DATABASE_URL to use this command).',
  );
  process.exit(2);
}
const handle = createDb({ connectionString: url, poolSize: 2, applicationName: 'atrium-cli' });
try {
  if (command === 'migrate') {
    const result = await migrateToLatest(handle.db);
    const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } else {
    console.error('usage: cli.ts migrate');
    process.exitCode = 2;
  }
} finally {
  await handle.destroy();
}
