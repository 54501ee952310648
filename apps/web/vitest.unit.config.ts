import { vitestProjectDefaults } from '@atrium/config/vitest-defaults';
import { defineProject } from 'vitest/config';

// Unit tests of the web app's pure modules (no DOM, no API): `src/**/*.test.ts`.
export default defineProject({
  test: {
    ...vitestProjectDefaults,
    name: 'web',
    include: ['src/**/*.test.ts'],
  },
});
