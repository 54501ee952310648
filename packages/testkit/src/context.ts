/** What the global setup hands to every test file through vitest's provide/inject. */
export interface ProvidedPostgres {
  /** Superuser connection to the server's maintenance database; used to create/drop test databases. */
  adminUrl: string;
  /** A migrated database (schema + pg-boss) each test database is cloned from. */
  templateDatabase: string;
  source: 'TEST_DATABASE_URL' | 'embedded';
}

declare module 'vitest' {
  export interface ProvidedContext {
    atriumPostgres: ProvidedPostgres;
    /** null when no Redis is reachable; Redis-backed tests then skip (or the run fails under CI). */
    atriumRedisUrl: string | null;
  }
}
