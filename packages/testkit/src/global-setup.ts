import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, migrateToLatest } from '@atrium/db';
import {
  type RunningPostgres,
  type RunningRedis,
  startEmbeddedPostgres,
  startRedisServer,
} from '@atrium/local-engines';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { isStale, newDatabaseName, TEMPLATE_DATABASE_PREFIX, withDatabase } from './database-names.ts';
import './context.ts';

/**
 * Once per `vitest run`: find or start a PostgreSQL server, build a migrated template database that
 * every test database is cloned from (CREATE DATABASE … TEMPLATE is ~50 ms; migrating each one
 * would be seconds), and find or start a Redis. Teardown drops and stops what it made.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const cleanup of cleanups) {
      await cleanup().catch((error: unknown) => console.warn('[testkit] cleanup failed:', error));
    }
  };
  try {
    await provision(project, cleanups);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

async function provision(project: TestProject, cleanups: Array<() => Promise<void>>): Promise<void> {
  const requireRedis = process.env.CI === 'true' || process.env.REQUIRE_REDIS === '1';

  let adminUrl = process.env.TEST_DATABASE_URL;
  let embedded: RunningPostgres | undefined;
  if (!adminUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'atrium-test-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
    adminUrl = embedded.url;
    cleanups.push(async () => {
      await embedded?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
  }

  await dropStaleDatabases(adminUrl);
  const templateDatabase = newDatabaseName(TEMPLATE_DATABASE_PREFIX);
  await adminQuery(adminUrl, `CREATE DATABASE "${templateDatabase}"`);
  cleanups.unshift(() => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${templateDatabase}" WITH (FORCE)`));
  await prepareTemplate(withDatabase(adminUrl, templateDatabase));

  let redisUrl: string | null = process.env.TEST_REDIS_URL ?? null;
  let startedRedis: RunningRedis | null = null;
  if (!redisUrl) {
    startedRedis = await startRedisServer();
    if (startedRedis) {
      redisUrl = startedRedis.url;
      cleanups.push(() => startedRedis?.stop() ?? Promise.resolve());
    }
  }
  if (!redisUrl) {
    if (requireRedis) {
      throw new Error(
        'Redis is required (CI=true or REQUIRE_REDIS=1) but TEST_REDIS_URL is unset and no redis-server is on PATH',
      );
    }
    const line = '!'.repeat(100);
    console.warn(
      `\n${line}\n!! No Redis: TEST_REDIS_URL is unset and redis-server is not on PATH.\n!! Redis-backed tests are SKIPPED. Install redis-server or set TEST_REDIS_URL to run them.\n${line}\n`,
    );
  }

  project.provide('atriumPostgres', {
    adminUrl,
    templateDatabase,
    source: embedded ? 'embedded' : 'TEST_DATABASE_URL',
  });
  project.provide('atriumRedisUrl', redisUrl);
}

/** Migrations plus the pg-boss schema and queue catalogue, so test databases start complete. */
async function prepareTemplate(url: string): Promise<void> {
  const handle = createDb({ connectionString: url, poolSize: 2, applicationName: 'atrium-testkit' });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.destroy();
  }
  const { installQueueSchema } = await import('@atrium/jobs');
  await installQueueSchema(url);
}

async function dropStaleDatabases(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'atrium\\_t\\_%' OR datname LIKE 'atrium\\_tpl\\_%'`,
    );
    for (const { datname } of rows) {
      if (isStale(datname)) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

export async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
