import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'api', include: ['test/**/*.test.ts'] } });
