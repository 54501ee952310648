import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import type { Session } from '../../src/access/session.ts';
import type { EventEnvelope } from '../../src/events/envelope.ts';
import { createOrg } from '../../src/tenancy/orgs.ts';

/**
 * An org for the notification tests. Dispatch is what they test, so a platform operator has allowed
 * this org to mail addresses outside it (policy.ts; the restriction itself is tested over HTTP).
 */
export async function makeOrg(db: Kysely<Database>, name = 'Notify Org'): Promise<string> {
  const org = await db
    .transaction()
    .execute((trx) =>
      createOrg(trx, { name, settings: { notifications: { allowExternalRecipients: true } } }),
    );
  return org.id;
}

export async function makeUser(
  db: Kysely<Database>,
  orgId: string,
  input: { name?: string; email?: string } = {},
): Promise<{ id: string; email: string }> {
  const email = input.email ?? `n-${crypto.randomUUID()}@example.test`;
  const user = await db
    .insertInto('users')
    .values({ org_id: orgId, email, name: input.name ?? 'Nora Notified' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: user.id, email };
}

/** An admin-like session of `orgId` (the domain functions take any Session). */
export function sessionOf(orgId: string, userId: string): Session {
  return {
    userId,
    orgId,
    roles: ['admin'],
    permissions: new Set(['notifications.send']),
    platformRole: null,
    permissionVersion: 1,
  };
}

/** The NotificationRequested envelope of a notification, as the relay would deliver it. */
export async function requestEnvelope(
  db: Kysely<Database>,
  notificationId: string,
): Promise<EventEnvelope<'NotificationRequested', { notificationId: string; channel: 'email' | 'in_app' }>> {
  const row = await db
    .selectFrom('outbox_events')
    .selectAll()
    .where('type', '=', 'NotificationRequested')
    .where('aggregate_id', '=', notificationId)
    .executeTakeFirstOrThrow();
  return {
    eventId: row.id,
    seq: row.seq,
    type: 'NotificationRequested',
    orgId: row.org_id,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    occurredAt: row.created_at.toISOString(),
    payload: row.payload as { notificationId: string; channel: 'email' | 'in_app' },
  };
}
