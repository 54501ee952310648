import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import { type Clock, systemClock } from '../platform/clock.ts';
import {
  type IngestOutcome,
  type PreparedLogEvent,
  storeLogEvents,
  storeLogEventsInTransaction,
} from './ingest.ts';
import { LEVEL_VALUE, type LogLevel } from './levels.ts';
import { redactText, redactValue } from './redact.ts';
import type { RuleCache } from './rules.ts';

/**
 * The platform's own failures, logged the way clients' events are (SPEC §7): the API's 5xx answers
 * (`platform.api`), dead letters of every queue (`platform.dead_letter`), notifications that failed
 * for good (`platform.notifications`), quarantined schedules (`platform.scheduler`) and failed audit
 * integrity reports (`platform.audit`). Built-in alert rules over these sources open incidents
 * without any configuration. `orgId` is the org the failure concerns when there is one.
 */
export type PlatformSource =
  | 'platform.api'
  | 'platform.dead_letter'
  | 'platform.notifications'
  | 'platform.scheduler'
  | 'platform.audit';

export interface PlatformEvent {
  orgId: string | null;
  source: PlatformSource;
  level?: LogLevel;
  message: string;
  attributes?: Record<string, unknown>;
  requestId?: string | null;
}

export async function recordPlatformEvent(
  deps: { db: Kysely<Database>; clock?: Clock; rules?: RuleCache },
  event: PlatformEvent,
): Promise<IngestOutcome> {
  return storeLogEvents(deps, { orgId: event.orgId }, [preparePlatformEvent(event, deps.clock)]);
}

/** The same inside the caller's transaction; `announce: false` leaves telling people to the caller. */
export async function recordPlatformEventInTransaction(
  trx: Transaction<Database>,
  deps: { clock?: Clock; rules?: RuleCache },
  event: PlatformEvent,
  options: { announce: boolean },
): Promise<IngestOutcome> {
  return storeLogEventsInTransaction(
    trx,
    deps,
    { orgId: event.orgId },
    [preparePlatformEvent(event, deps.clock)],
    options,
  );
}

function preparePlatformEvent(event: PlatformEvent, clock: Clock | undefined): PreparedLogEvent {
  const now = (clock ?? systemClock).now();
  return {
    at: now,
    level: LEVEL_VALUE[event.level ?? 'error'],
    source: event.source,
    message: redactText(event.message.slice(0, 8_000)),
    attributes: (redactValue(event.attributes ?? {}) as Record<string, unknown>) ?? {},
    requestId: event.requestId ?? null,
  };
}

/** The org a job's payload names (`orgId` at its top, or an envelope's), if any. */
export function orgOfJobData(data: unknown): string | null {
  if (data === null || typeof data !== 'object') return null;
  const record = data as Record<string, unknown>;
  const orgId = record.orgId ?? record.org_id;
  return typeof orgId === 'string' && /^[0-9a-f-]{36}$/i.test(orgId) ? orgId : null;
}
