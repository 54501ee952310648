import { vitestProjectDefaults } from '@atrium/config/vitest-defaults';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    ...vitestProjectDefaults,
    name: 'aims-simulator',
    include: ['test/**/*.test.ts'],
  },
});
