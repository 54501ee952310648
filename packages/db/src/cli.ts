/** `pnpm db:migrate` and `pnpm db:seed` against DATABASE_URL. */
import { createDb } from './client.ts';
import { migrateToLatest } from './migrate.ts';
import { seedDemo } from './seed.ts';

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
  } else if (command === 'seed') {
    await migrateToLatest(handle.db);
    const { created, orgSlug } = await seedDemo(handle.db);
    console.log(
      created ? `seeded demo organisation "${orgSlug}"` : `demo organisation "${orgSlug}" already present`,
    );
  } else {
    console.error('usage: cli.ts migrate|seed');
    process.exitCode = 2;
  }
} finally {
  await handle.destroy();
}
