import { describe, expect, it } from 'vitest';
import { defineCatalogue, subscriptionsByEventType } from '../../src/events/queue-definition.ts';
import { IDENTITY_CONSUMER_NAMES, IDENTITY_QUEUES } from '../../src/identity/queues.ts';

describe('identity queues', () => {
  it('declare one mail queue per identity event, each with a dead-letter queue', () => {
    const catalogue = defineCatalogue(...IDENTITY_QUEUES);
    const byType = subscriptionsByEventType(catalogue);
    expect(
      Object.fromEntries([...byType].map(([type, queues]) => [type, queues.map((q) => q.name)])),
    ).toEqual({
      EmailVerificationRequested: [IDENTITY_CONSUMER_NAMES.verification],
      PasswordResetRequested: [IDENTITY_CONSUMER_NAMES.passwordReset],
      PasswordChanged: [IDENTITY_CONSUMER_NAMES.passwordChanged],
    });
    for (const queue of IDENTITY_QUEUES) {
      expect(queue.deadLetter).toBe(`${queue.name}.dead-letter`);
      expect(queue.retryLimit).toBeGreaterThan(0);
    }
  });

  it('accept the envelopes the relay builds, and refuse a payload without a user id', () => {
    const envelope = {
      eventId: crypto.randomUUID(),
      seq: '1',
      type: 'PasswordChanged',
      orgId: crypto.randomUUID(),
      aggregateType: 'user',
      aggregateId: 'u',
      occurredAt: new Date().toISOString(),
      payload: { userId: crypto.randomUUID() },
    };
    const notice = IDENTITY_QUEUES.find((q) => q.name === IDENTITY_CONSUMER_NAMES.passwordChanged);
    expect(notice?.payload.safeParse(envelope).success).toBe(true);
    expect(notice?.payload.safeParse({ ...envelope, payload: {} }).success).toBe(false);
  });
});
