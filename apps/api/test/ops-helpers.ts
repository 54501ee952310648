import type { Database } from '@atrium/db';
import type { Permission } from '@atrium/domain/access/permissions';
import type { Session } from '@atrium/domain/access/session';
import type { QueueCatalogue } from '@atrium/domain/events/catalogue';
import { consumeOnce } from '@atrium/domain/events/inbox';
import { ensureQueues } from '@atrium/jobs';
import type { TestDatabase } from '@atrium/testkit';
import { testSession } from '@atrium/testkit/factories';
import { TRPCError } from '@trpc/server';
import { type Generated, type Kysely, sql } from 'kysely';
import { createInnerContext } from '../src/context.ts';
import { appRouter } from '../src/router.ts';
import { createServices, type Services } from '../src/services.ts';
import { createCallerFactory } from '../src/trpc.ts';
import { testApiEnv } from './helpers.ts';

/**
 * What an ops test runs against: the API's services with the Ops console pointed at a test catalogue
 * (its queues created), and the effects table the test's handlers write (`recordEffect`). The caller
 * closes them (`services.close()`).
 */
export async function startOpsServices(
  t: Pick<TestDatabase, 'url' | 'db'>,
  catalogue: QueueCatalogue,
  remotes: Services['ops']['remotes'] = { worker: undefined, scheduler: undefined },
): Promise<Services> {
  await createEffectsTable(t.db);
  const services = await createServices(testApiEnv(t.url));
  await ensureQueues(await services.ops.boss(), catalogue);
  return { ...services, ops: { ...services.ops, catalogue, remotes } };
}

const createCaller = createCallerFactory(appRouter);

/** A caller of the real router as the given session, without HTTP. */
export function opsCaller(services: Services, session: Session) {
  return createCaller(createInnerContext({ services, session })).ops;
}

/** What identity grants a platform operator (OPERATOR_PERMISSIONS), as a viewer of `orgId`. */
export function operatorSession(orgId: string): Session {
  return testSession({
    orgId,
    roles: ['viewer'],
    permissions: ['ops.read', 'ops.manage', 'scheduler.manage'],
    platformRole: 'operator',
  });
}

/** An admin of `orgId` who holds (of the Ops permissions) just these. */
export function orgAdminSession(
  orgId: string,
  permissions: Permission[] = ['ops.read', 'ops.manage'],
): Session {
  return testSession({ orgId, roles: ['admin'], permissions });
}

/** The domain error code a procedure failed with, or OK. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return (error.cause as { code?: string } | undefined)?.code ?? error.code;
    throw error;
  }
  return 'OK';
}

/** Handler effects, one row per (consumer, event) the handler committed. */
export type EffectsTable = {
  ops_effects: { id: Generated<string>; consumer: string; event_id: string };
};

/**
 * What the test handlers do: one effect for (queue, event), committed with the inbox row, so a job
 * that runs twice has its effect once.
 */
export async function recordEffect(
  { db, job }: { db: Kysely<Database>; job: { queue: string } },
  eventId: string,
): Promise<void> {
  await consumeOnce(db, { consumer: job.queue, eventId }, (trx) =>
    trx
      .withTables<EffectsTable>()
      .insertInto('ops_effects')
      .values({ consumer: job.queue, event_id: eventId })
      .execute(),
  );
}

export async function createEffectsTable(db: Kysely<Database>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS ops_effects (
      id bigserial PRIMARY KEY,
      consumer text NOT NULL,
      event_id uuid NOT NULL
    )
  `.execute(db);
}

export async function effectCount(db: Kysely<Database>, consumer: string, eventId?: string): Promise<number> {
  let query = db
    .withTables<EffectsTable>()
    .selectFrom('ops_effects')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('consumer', '=', consumer);
  if (eventId) query = query.where('event_id', '=', eventId);
  const { n } = await query.executeTakeFirstOrThrow();
  return Number(n);
}

export async function auditActions(db: Kysely<Database>, orgId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('audit_entries')
    .select('action')
    .where('org_id', '=', orgId)
    .orderBy('seq')
    .execute();
  return rows.map((row) => row.action);
}
