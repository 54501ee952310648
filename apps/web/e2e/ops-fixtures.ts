import type { Database } from '@atrium/db';
import { PipelineProbeRequested } from '@atrium/domain/events/pipeline-probe';
import { createTestOrg, createTestUser, testEnvelope, uniqueEmail } from '@atrium/testkit/factories';
import type { Kysely } from 'kysely';

/**
 * What the Ops browser tests share: a platform operator to sign in as, and the event a job of the
 * probe queue carries.
 */

/** A real queue of the catalogue (apps/worker handles it in production). */
export const PROBE_QUEUE = 'ops.pipeline-probe';
export const PROBE_DEAD_LETTERS = 'ops.pipeline-probe.dead-letter';

/**
 * A platform operator (users.platform_role = 'operator': identity grants ops.read, ops.manage and
 * scheduler.manage), a plain viewer in an org of their own.
 */
export async function createOperator(
  db: Kysely<Database>,
  orgName: string,
): Promise<{ email: string; password: string; orgId: string }> {
  const org = await createTestOrg(db, { name: orgName });
  const user = await createTestUser(db, {
    orgId: org.id,
    email: uniqueEmail('operator'),
    name: 'Olga Operator',
    platformRole: 'operator',
  });
  return { ...user, orgId: org.id };
}

/** The envelope of a PipelineProbeRequested event, as the relay puts it on the probe queue. */
export function probeEnvelope(probeId: string, orgId?: string) {
  return testEnvelope(
    PipelineProbeRequested,
    { probeId, requestedAt: new Date().toISOString() },
    { aggregateType: 'pipeline_probe', aggregateId: probeId, ...(orgId ? { orgId } : {}) },
  );
}
