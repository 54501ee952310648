import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { ValidationError } from '../errors.ts';
import { systemClock } from '../platform/clock.ts';
import { findOpsQueue } from './catalogue-view.ts';
import { assertPlatformScope, auditOps, type OpsActor, type OpsDeps, type OpsScope } from './scope.ts';

/**
 * The channel a committed pause or resume wakes every worker on (NOTIFY is delivered on commit).
 * Workers also poll `queue_controls`, so a lost notification costs a poll interval, not the pause.
 */
export const QUEUE_CONTROLS_CHANNEL = 'atrium_queue_controls';

export interface QueuePause {
  queue: string;
  pausedAt: Date | null;
  pausedBy: string | null;
}

/** The paused queues, by name. Read by workers (which stop fetching them) and the console. */
export async function readPausedQueues(db: Kysely<Database>): Promise<Map<string, QueuePause>> {
  const rows = await db
    .selectFrom('queue_controls')
    .select(['queue', 'paused_at', 'paused_by'])
    .where('paused', '=', true)
    .execute();
  return new Map(
    rows.map((row) => [row.queue, { queue: row.queue, pausedAt: row.paused_at, pausedBy: row.paused_by }]),
  );
}

export interface QueueControlResult {
  queue: string;
  paused: boolean;
  pausedAt: Date | null;
  /** False when the queue already was in the requested state (nothing changed, nothing audited). */
  changed: boolean;
}

/**
 * Pauses a queue for every worker (operators only): workers stop fetching it within a few seconds,
 * jobs keep arriving and wait, and `resumeQueue` lets the workers drain them. Jobs already running
 * finish. Dead-letter queues are never worked, so there is nothing to pause there.
 */
export async function pauseQueue(
  deps: Pick<OpsDeps, 'db' | 'catalogue' | 'clock'>,
  input: { scope: OpsScope; actor: OpsActor; queue: string },
): Promise<QueueControlResult> {
  return setPaused(deps, input, true);
}

export async function resumeQueue(
  deps: Pick<OpsDeps, 'db' | 'catalogue' | 'clock'>,
  input: { scope: OpsScope; actor: OpsActor; queue: string },
): Promise<QueueControlResult> {
  return setPaused(deps, input, false);
}

async function setPaused(
  deps: Pick<OpsDeps, 'db' | 'catalogue' | 'clock'>,
  input: { scope: OpsScope; actor: OpsActor; queue: string },
  paused: boolean,
): Promise<QueueControlResult> {
  assertPlatformScope(input.scope);
  const queue = findOpsQueue(deps.catalogue, input.queue);
  if (queue.kind === 'dead_letter') {
    throw new ValidationError('Dead-letter queues are not worked, so they cannot be paused', {
      queue: ['must name a queue, not a dead-letter queue'],
    });
  }
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('queue_controls')
      .select(['paused', 'paused_at'])
      .where('queue', '=', queue.name)
      .forUpdate()
      .executeTakeFirst();
    if ((current?.paused ?? false) === paused) {
      return { queue: queue.name, paused, pausedAt: current?.paused_at ?? null, changed: false };
    }
    const values = {
      paused,
      paused_at: paused ? now : null,
      paused_by: paused ? input.actor.userId : null,
      updated_at: now,
    };
    await trx
      .insertInto('queue_controls')
      .values({ queue: queue.name, ...values })
      .onConflict((oc) => oc.column('queue').doUpdateSet(values))
      .execute();
    await sql`SELECT pg_notify(${QUEUE_CONTROLS_CHANNEL}, ${queue.name})`.execute(trx);
    await auditOps(trx, input.actor, {
      action: paused ? 'ops.queue.paused' : 'ops.queue.resumed',
      resourceType: 'queue',
      resourceId: queue.name,
      payload: { queue: queue.name },
    });
    return { queue: queue.name, paused, pausedAt: values.paused_at, changed: true };
  });
}
