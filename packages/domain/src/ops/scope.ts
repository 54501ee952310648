import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import { type AuditAction, actorChain, appendAudit } from '../audit/index.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import type { QueueCatalogue } from '../events/catalogue.ts';
import type { Clock } from '../platform/clock.ts';
import type { OpsQueuePort } from './port.ts';

/**
 * Whose share of the platform an Ops caller sees: everything (a platform operator) or one org's
 * jobs, outbox rows and inbox failures (an org admin holding `ops.read` / `ops.manage`). The API
 * decides it from the session; the use cases below only ever filter by it.
 */
export type OpsScope = { kind: 'platform' } | { kind: 'org'; orgId: string };

/** Who acts, for the audit log. */
export interface OpsActor {
  userId: string;
  orgId: string;
  /** A platform operator: their actions go to the platform audit chain. */
  platform?: boolean;
}

/** What the Ops use cases run on. */
export interface OpsDeps {
  db: Kysely<Database>;
  queues: OpsQueuePort;
  /** The queues the console shows (with their dead-letter queues): the application's catalogue. */
  catalogue: QueueCatalogue;
  clock?: Clock;
}

/** The org a scope is limited to, or undefined for the whole platform. */
export function scopeOrgId(scope: OpsScope): string | undefined {
  return scope.kind === 'org' ? scope.orgId : undefined;
}

/** Queue-level controls (pause, resume) are the platform operators'. */
export function assertPlatformScope(scope: OpsScope): void {
  if (scope.kind !== 'platform') throw new ForbiddenError('Operators only');
}

/**
 * Whether a scope may see something attributed to `orgId`. An org admin asking about another org's
 * job gets the same 404 as for a job that does not exist (SPEC §1: never leak existence).
 */
export function assertInScope(scope: OpsScope, orgId: string | null, resource: string): void {
  if (scope.kind === 'org' && orgId !== scope.orgId) throw new NotFoundError(resource);
}

export interface OpsAuditEntry {
  action: AuditAction;
  resourceType: 'job' | 'queue' | 'outbox_event';
  resourceId: string;
  payload: Record<string, unknown>;
  /** The org the acted-on thing belongs to, when known: it gets the entry too. */
  subjectOrgId?: string | null;
}

/**
 * Records an Ops action in the actor's chain — the platform's for an operator, else their org's — and,
 * when it touched another org's job or event, in that org's chain as well, so the org's admins see
 * what an operator did to their work. Runs in the action's transaction: no action without its entry.
 */
export async function auditOps(
  trx: Transaction<Database>,
  actor: OpsActor,
  entry: OpsAuditEntry,
): Promise<void> {
  const base = {
    actorId: actor.userId,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    payload: entry.payload,
  };
  const chain = actorChain(actor);
  await appendAudit(trx, { ...base, orgId: chain });
  const subject = entry.subjectOrgId;
  if (subject && subject !== chain) {
    // A payload may name an org that no longer exists; the entry then stays with the actor's org only.
    const exists = await trx.selectFrom('orgs').select('id').where('id', '=', subject).executeTakeFirst();
    if (exists) await appendAudit(trx, { ...base, orgId: subject });
  }
}
