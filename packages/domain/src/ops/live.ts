import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import type { LogSink } from '../platform/logger.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { publishQuietly } from '../realtime/publishers.ts';

/**
 * Live Ops updates (SPEC §8: "updates arrive live over the event stream"): producers tell the console
 * that its numbers moved with one `ops.changed` hint, and open Ops pages refetch. The hint carries no
 * numbers (the API computes them in the reader's scope); it goes to the org whose jobs moved (members
 * holding `ops.read`) and to every platform operator (in their own org, by user id). Hints are
 * coalesced: at most one batch per `intervalMs`, however many jobs settle.
 */
export const OPS_CHANGED_EVENT = 'ops.changed';

export interface OpsAnnouncer {
  /** Something in `orgId`'s share (null: a platform job) moved. */
  touch(orgId: string | null, reason: string): void;
  /** Publishes what is pending now and stops. */
  stop(): Promise<void>;
}

/** How long the list of operators is reused before it is read again. */
const OPERATORS_TTL_MS = 60_000;

export function createOpsAnnouncer(options: {
  db: Kysely<Database>;
  realtime: RealtimePublisher | null | undefined;
  intervalMs?: number;
  log?: LogSink;
}): OpsAnnouncer {
  const intervalMs = options.intervalMs ?? 1_000;
  const orgs = new Set<string>();
  const reasons = new Set<string>();
  let platform = false;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | null = null;
  let operators: { at: number; byOrg: Map<string, string[]> } | null = null;
  let stopped = false;

  async function operatorsByOrg(): Promise<Map<string, string[]>> {
    if (operators && Date.now() - operators.at < OPERATORS_TTL_MS) return operators.byOrg;
    const rows = await options.db
      .selectFrom('users')
      .select(['id', 'org_id'])
      .where('platform_role', '=', 'operator')
      .where('status', '=', 'active')
      .execute();
    const byOrg = new Map<string, string[]>();
    for (const row of rows) byOrg.set(row.org_id, [...(byOrg.get(row.org_id) ?? []), row.id]);
    operators = { at: Date.now(), byOrg };
    return byOrg;
  }

  async function flush(): Promise<void> {
    timer = undefined;
    if (orgs.size === 0 && !platform) return;
    const touched = [...orgs];
    const payload = { reasons: [...reasons].sort() };
    orgs.clear();
    reasons.clear();
    platform = false;
    if (!options.realtime) return;
    const publish = (event: Parameters<RealtimePublisher['publish']>[0]) =>
      publishQuietly(options.realtime, event, options.log);
    await Promise.all(
      touched.map((orgId) =>
        publish({ orgId, type: OPS_CHANGED_EVENT, payload, audience: { permission: 'ops.read' } }),
      ),
    );
    try {
      for (const [orgId, userIds] of await operatorsByOrg()) {
        await publish({ orgId, type: OPS_CHANGED_EVENT, payload, audience: { userIds } });
      }
    } catch (error) {
      options.log?.warn({ err: error }, 'could not read the platform operators for a live Ops update');
    }
  }

  return {
    touch(orgId, reason) {
      if (stopped) return;
      if (orgId) orgs.add(orgId);
      else platform = true;
      reasons.add(reason);
      timer ??= setTimeout(() => {
        flushing = flush().finally(() => {
          flushing = null;
        });
      }, intervalMs);
      timer.unref?.();
    },
    async stop() {
      stopped = true;
      if (timer) {
        clearTimeout(timer);
        await flush();
      }
      await flushing;
    },
  };
}
