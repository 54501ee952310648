import { vitestProjectDefaults } from '@atrium/config/vitest-defaults';
import { defineProject } from 'vitest/config';

// Browser tests: the built app (vite build, once) against the real API, driven by Chromium.
// Run them with the rest of the suite (`pnpm test` at the root) or alone: `pnpm --filter @atrium/web test:e2e`.
export default defineProject({
  test: {
    ...vitestProjectDefaults,
    name: 'web-e2e',
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    // beforeAll may run `vite build` and start the API.
    hookTimeout: 120_000,
  },
});
