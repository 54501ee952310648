import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'worker', include: ['test/**/*.test.ts'] } });
