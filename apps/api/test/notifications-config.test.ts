import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseApiEnv } from '../src/env.ts';

const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  JWT_SECRET: 'x'.repeat(40),
};

describe('NOTIFICATIONS_ENCRYPTION_KEY in the API env', () => {
  it('is required in production and must be 32 bytes', () => {
    expect(() => parseApiEnv(production)).toThrow(/NOTIFICATIONS_ENCRYPTION_KEY: required in production/);
    const key = randomBytes(32).toString('hex');
    expect(
      parseApiEnv({ ...production, NOTIFICATIONS_ENCRYPTION_KEY: key }).NOTIFICATIONS_ENCRYPTION_KEY,
    ).toBe(key);
    expect(() => parseApiEnv({ ...production, NOTIFICATIONS_ENCRYPTION_KEY: 'short' })).toThrow(
      /32 random bytes/,
    );
    expect(() =>
      parseApiEnv({
        ...production,
        NOTIFICATIONS_ENCRYPTION_KEY: key,
        NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS: 'x,y',
      }),
    ).toThrow(/32 random bytes/);
  });

  it('is optional outside production (the development key is used, with a warning at start)', () => {
    const env = parseApiEnv({ ...production, NODE_ENV: 'development' });
    expect(env.NOTIFICATIONS_ENCRYPTION_KEY).toBeUndefined();
    expect(env.NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS).toEqual([]);
  });
});
