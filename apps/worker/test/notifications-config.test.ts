import { randomBytes } from 'node:crypto';
import {
  configureNotificationKeysFromEnv,
  createNotificationKeyring,
  DEV_NOTIFICATIONS_ENCRYPTION_KEY,
  notificationKeyring,
  recipientHash,
} from '@atrium/domain/notifications/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWorkerEnv } from '../src/env.ts';

const base = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', SMTP_URL: 'smtp://127.0.0.1:25' };

describe('NOTIFICATIONS_ENCRYPTION_KEY in the worker env', () => {
  afterEach(() => {
    // Leave the process on the development key for the other tests of this file's worker.
    configureNotificationKeysFromEnv({}, { info() {}, warn() {}, error() {} });
  });

  it('is required in production', () => {
    expect(() => parseWorkerEnv({ ...base, NODE_ENV: 'production' })).toThrow(/NOTIFICATIONS_ENCRYPTION_KEY/);
    const key = randomBytes(32).toString('base64');
    expect(
      parseWorkerEnv({ ...base, NODE_ENV: 'production', NOTIFICATIONS_ENCRYPTION_KEY: key }),
    ).toMatchObject({
      NOTIFICATIONS_ENCRYPTION_KEY: key,
      NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS: [],
    });
  });

  it('refuses a key that is not 32 bytes, and bad previous keys', () => {
    expect(() => parseWorkerEnv({ ...base, NOTIFICATIONS_ENCRYPTION_KEY: 'too-short' })).toThrow(
      /32 random bytes/,
    );
    expect(() => parseWorkerEnv({ ...base, NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS: 'nope' })).toThrow(
      /32 random bytes/,
    );
  });

  it('outside production an unset key means the development key, announced with a warning', () => {
    const env = parseWorkerEnv({ ...base, NODE_ENV: 'development' });
    expect(env.NOTIFICATIONS_ENCRYPTION_KEY).toBeUndefined();
    const warnings: string[] = [];
    const keyring = configureNotificationKeysFromEnv(env, {
      info() {},
      warn: (_fields, message) => warnings.push(message),
      error() {},
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/PUBLIC development key/);
    expect(recipientHash(keyring, 'a@example.test')).toBe(
      recipientHash(createNotificationKeyring(DEV_NOTIFICATIONS_ENCRYPTION_KEY), 'a@example.test'),
    );
  });

  it('a configured key (with an older one) becomes the process keyring, without a warning', () => {
    const older = randomBytes(32).toString('hex');
    const current = randomBytes(32).toString('base64');
    const env = parseWorkerEnv({
      ...base,
      NOTIFICATIONS_ENCRYPTION_KEY: current,
      NOTIFICATIONS_ENCRYPTION_PREVIOUS_KEYS: `${older}`,
    });
    const warnings: string[] = [];
    configureNotificationKeysFromEnv(env, { info() {}, warn: (_f, m) => warnings.push(m), error() {} });
    expect(warnings).toEqual([]);
    const keyring = notificationKeyring();
    expect(keyring.previous).toHaveLength(1);
    expect(recipientHash(keyring, 'a@example.test')).toBe(
      recipientHash(createNotificationKeyring(current), 'a@example.test'),
    );
  });
});
