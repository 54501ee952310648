import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'db', include: ['test/**/*.test.ts'] } });
