import { defineConfig } from 'vitest/config';

/**
 * `pnpm test:faults`: the fault-injection suite (tests/faults/README.md). Each scenario starts its own
 * engines and processes, so they run one at a time and take minutes, not seconds.
 */
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
