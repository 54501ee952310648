import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PreparingClient } from './prepared.ts';
import type { Database } from './schema.ts';

// Return int8/bigint columns (counts, sequences) as strings: exact, and never silently rounded.
// numeric stays a string for the same reason. timestamptz → Date is pg's default.

export interface CreateDbOptions {
  connectionString: string;
  /** Pool size; each process sizes its own (DATABASE_POOL_SIZE). */
  poolSize?: number;
  applicationName?: string;
}

export interface DbHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
  destroy(): Promise<void>;
}

export function createPool({
  connectionString,
  poolSize = 10,
  applicationName = 'atrium',
}: CreateDbOptions): pg.Pool {
  const pool = new pg.Pool({
    // Runs the statements marked with preparedStatement() as named statements (prepared.ts).
    Client: PreparingClient,
    connectionString,
    max: poolSize,
    application_name: applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    // A process that dies (SIGKILL, OOM) leaves no one to cancel its statements: with this the server
    // notices the closed socket within 2 s and stops them, instead of running or waiting on a lock
    // until they finish (PostgreSQL 14+, Linux; docs/development.md).
    options: '-c client_connection_check_interval=2000',
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener Node
  // would crash the process. The next checkout simply opens a fresh connection.
  pool.on('error', () => {});
  // pg-pool takes that listener off a client while it is checked out. A session the server ends
  // (a restart, an administrator's terminate) while its client sits between statements — inside a
  // transaction waiting on other work, say — would then emit an unhandled 'error' and crash the
  // process. With this one the holder's next statement fails instead (503 UNAVAILABLE), and the pool
  // drops the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

export function createDb(options: CreateDbOptions): DbHandle {
  const pool = createPool(options);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    // Kysely's destroy ends the pool it was given.
    destroy: () => db.destroy(),
  };
}
