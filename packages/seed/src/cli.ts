/** `pnpm db:seed` against DATABASE_URL: migrations first, then the demo organisation. */
import { createDb, migrateToLatest } from '@atrium/db';
import { seedDemo } from './demo.ts';

// The demo accounts have published passwords (one of them a platform operator): never in production,
// and production is what an unset NODE_ENV means (docs/security.md).
const environment = process.env.NODE_ENV ?? 'production';
if (environment !== 'development' && environment !== 'test') {
  console.error(
    `Refusing to seed demo accounts (published passwords, a platform operator) with NODE_ENV=${process.env.NODE_ENV ?? '(unset: production)'}.\nSeed a development database with: NODE_ENV=development pnpm db:seed`,
  );
  process.exit(2);
}

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    'DATABASE_URL is required (pnpm dev starts an embedded database; set DATABASE_URL to use this command).',
  );
  process.exit(2);
}
const handle = createDb({ connectionString: url, poolSize: 2, applicationName: 'atrium-cli' });
try {
  await migrateToLatest(handle.db);
  const { created, orgSlug } = await seedDemo(handle.db);
  console.log(
    created ? `seeded demo organisation "${orgSlug}"` : `demo organisation "${orgSlug}" already present`,
  );
} finally {
  await handle.destroy();
}
