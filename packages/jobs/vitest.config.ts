import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'jobs', include: ['test/**/*.test.ts'] } });
