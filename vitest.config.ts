import { defineConfig } from 'vitest/config';

// One run for the whole monorepo: a single global setup brings up PostgreSQL (or uses
// TEST_DATABASE_URL) and Redis once, and each package is a project with its own settings.
export default defineConfig({
  test: {
    globalSetup: ['./packages/testkit/src/global-setup.ts'],
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'apps/web/vitest.unit.config.ts'],
    // Real engines, two cores: keep concurrency modest so timing-sensitive flows stay stable.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
