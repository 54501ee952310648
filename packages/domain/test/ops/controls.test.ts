import { useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../src/errors.ts';
import { defineCatalogue, defineEventQueue } from '../../src/events/catalogue.ts';
import { defineEvent } from '../../src/events/registry.ts';
import { pauseQueue, QUEUE_CONTROLS_CHANNEL, readPausedQueues, resumeQueue } from '../../src/ops/controls.ts';
import type { OpsActor } from '../../src/ops/scope.ts';

const Thing = defineEvent('OpsControlThingHappened', z.object({}));
const catalogue = defineCatalogue(defineEventQueue({ name: 'test.controls', events: [Thing] }));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'OK';
}

describe('queue controls', () => {
  const t = useTestDatabase();
  let actor: OpsActor;

  beforeAll(async () => {
    const org = await createTestOrg(t.db, { slug: 'controls-org', name: 'Controls', bare: true });
    actor = { userId: crypto.randomUUID(), orgId: org.id };
  });

  it('pauses and resumes a queue, announcing each change on commit and auditing it', async () => {
    const listener = new pg.Client({ connectionString: t.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`));
    await listener.query(`LISTEN ${QUEUE_CONTROLS_CHANNEL}`);
    try {
      const deps = { db: t.db, catalogue };
      const scope = { kind: 'platform' } as const;
      const paused = await pauseQueue(deps, { scope, actor, queue: 'test.controls' });
      expect(paused).toMatchObject({ queue: 'test.controls', paused: true, changed: true });
      expect(paused.pausedAt).toBeInstanceOf(Date);
      expect([...(await readPausedQueues(t.db)).keys()]).toEqual(['test.controls']);
      // Pausing a paused queue changes nothing and records nothing.
      expect(await pauseQueue(deps, { scope, actor, queue: 'test.controls' })).toMatchObject({
        changed: false,
      });

      expect(await resumeQueue(deps, { scope, actor, queue: 'test.controls' })).toMatchObject({
        paused: false,
        pausedAt: null,
        changed: true,
      });
      expect((await readPausedQueues(t.db)).size).toBe(0);

      // NOTIFY is delivered in commit order: a marker sent after both changes committed arrives after
      // whatever they announced, so once it is heard nothing of theirs is still on its way.
      await sql`SELECT pg_notify(${QUEUE_CONTROLS_CHANNEL}, 'marker')`.execute(t.db);
      await waitFor(() => heard.includes(`${QUEUE_CONTROLS_CHANNEL}:marker`), { what: 'the marker' });
      expect(heard).toEqual([
        `${QUEUE_CONTROLS_CHANNEL}:test.controls`,
        `${QUEUE_CONTROLS_CHANNEL}:test.controls`,
        `${QUEUE_CONTROLS_CHANNEL}:marker`,
      ]);
      const audit = await t.db
        .selectFrom('audit_entries')
        .select(['action', 'actor_id', 'resource_type', 'resource_id'])
        .where('org_id', '=', actor.orgId)
        .orderBy('seq')
        .execute();
      expect(audit).toEqual([
        {
          action: 'ops.queue.paused',
          actor_id: actor.userId,
          resource_type: 'queue',
          resource_id: 'test.controls',
        },
        {
          action: 'ops.queue.resumed',
          actor_id: actor.userId,
          resource_type: 'queue',
          resource_id: 'test.controls',
        },
      ]);
    } finally {
      await listener.end();
    }
  });

  it('is for operators, on catalogued queues that are worked', async () => {
    const deps = { db: t.db, catalogue };
    expect(
      await codeOf(
        pauseQueue(deps, { scope: { kind: 'org', orgId: actor.orgId }, actor, queue: 'test.controls' }),
      ),
    ).toBe('FORBIDDEN');
    const scope = { kind: 'platform' } as const;
    expect(await codeOf(pauseQueue(deps, { scope, actor, queue: 'test.controls.dead-letter' }))).toBe(
      'VALIDATION_ERROR',
    );
    expect(await codeOf(pauseQueue(deps, { scope, actor, queue: 'not.a.queue' }))).toBe('NOT_FOUND');
    expect((await readPausedQueues(t.db)).size).toBe(0);
  });
});
