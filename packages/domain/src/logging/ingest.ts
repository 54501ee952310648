import type { Database } from '@atrium/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { MAX_INPUT_DATE, MIN_INPUT_DATE } from '../platform/input-blocks.ts';
import { fieldErrorsFromZod } from '../platform/validate-input.ts';
import { INCIDENT_AGGREGATE, IncidentOpened } from './events.ts';
import { LEVEL_VALUE, levelName, normaliseLevel } from './levels.ts';
import { redactText, redactValue } from './redact.ts';
import { type CompiledRule, processRuleCache, type RuleCache, ruleMatches } from './rules.ts';

/**
 * Log ingest (SPEC §7; docs/logging.md): validate → normalise → redact → store → evaluate rules, all
 * in one transaction per call, so an incident and its `IncidentOpened` event exist if and only if the
 * events that opened it were stored.
 */

export const MAX_BULK_EVENTS = 1_000;
export const MAX_MESSAGE_LENGTH = 8_000;
export const MAX_ATTRIBUTES_BYTES = 16 * 1024;
const MAX_ATTRIBUTE_DEPTH = 8;
/** Events may carry their own time, but not from further ahead than this (clock skew, not the future). */
const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
/** The all-zero uuid stands for "no org" in the counters and in the one-open-incident index. */
export const NO_ORG = '00000000-0000-0000-0000-000000000000';

/** Sources under `platform.` are the platform's own; orgs cannot send them. */
export const PLATFORM_SOURCE_PREFIX = 'platform.';

function depthOf(value: unknown, depth = 0): number {
  if (value === null || typeof value !== 'object' || depth > MAX_ATTRIBUTE_DEPTH) return depth;
  let max = depth;
  for (const inner of Object.values(value as Record<string, unknown>))
    max = Math.max(max, depthOf(inner, depth + 1));
  return max;
}

/** One event as a client sends it. */
export const ZLogEventInput = z.object({
  level: z
    .string()
    .max(20)
    .refine((name) => normaliseLevel(name) !== null, {
      message: 'Unknown level; use debug, info, warn, error or fatal',
    }),
  source: z
    .string()
    .trim()
    .min(1, { message: 'Name the source (e.g. billing.api)' })
    .max(100, { message: 'Use at most 100 characters' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, { message: 'Use letters, digits and . _ : / -' }),
  message: z
    .string()
    .min(1, { message: 'The message is empty' })
    .max(MAX_MESSAGE_LENGTH, {
      message: `Use at most ${MAX_MESSAGE_LENGTH.toLocaleString('en')} characters`,
    }),
  attributes: z
    .record(z.string().max(200), z.unknown())
    .optional()
    .refine(
      (value) => value === undefined || Buffer.byteLength(JSON.stringify(value)) <= MAX_ATTRIBUTES_BYTES,
      {
        message: `Attributes may take at most ${MAX_ATTRIBUTES_BYTES / 1024} KB as JSON`,
      },
    )
    .refine((value) => value === undefined || depthOf(value) <= MAX_ATTRIBUTE_DEPTH, {
      message: `Attributes may nest at most ${MAX_ATTRIBUTE_DEPTH} levels deep`,
    }),
  timestamp: z.coerce
    .date({ error: 'Enter a valid time (ISO 8601 or epoch milliseconds)' })
    .min(MIN_INPUT_DATE, { error: 'Enter a time after the year 1000' })
    .max(MAX_INPUT_DATE, { error: 'Enter a time before the year 10000' })
    .optional(),
  requestId: z.string().max(200).optional(),
});
export type LogEventInput = z.input<typeof ZLogEventInput>;

export const ZIngestInput = z.object({ event: z.unknown() });
export const ZIngestBulkInput = z.object({
  events: z
    .array(z.unknown())
    .min(1, { message: 'Send at least one event' })
    .max(MAX_BULK_EVENTS, {
      message: `Send at most ${MAX_BULK_EVENTS.toLocaleString('en')} events per call`,
    }),
});

/** A validated, normalised, redacted event, ready to store. */
export interface PreparedLogEvent {
  at: Date;
  level: number;
  source: string;
  message: string;
  attributes: Record<string, unknown>;
  requestId: string | null;
}

export type PrepareResult =
  | { ok: true; event: PreparedLogEvent }
  | { ok: false; fieldErrors: Record<string, string[]> };

/** Validates one client event; `allowPlatformSources` only for the platform's own recorder. */
export function prepareLogEvent(
  raw: unknown,
  options: { now: Date; allowPlatformSources?: boolean },
): PrepareResult {
  const parsed = ZLogEventInput.safeParse(raw);
  if (!parsed.success) return { ok: false, fieldErrors: fieldErrorsFromZod(parsed.error) };
  const input = parsed.data;
  if (!options.allowPlatformSources && input.source.toLowerCase().startsWith(PLATFORM_SOURCE_PREFIX)) {
    return {
      ok: false,
      fieldErrors: { source: ['Sources under "platform." are reserved for Atrium itself'] },
    };
  }
  const at = input.timestamp ?? options.now;
  if (at.getTime() - options.now.getTime() > MAX_FUTURE_MS) {
    return { ok: false, fieldErrors: { timestamp: ['This time is more than a day ahead of ours'] } };
  }
  const level = normaliseLevel(input.level) ?? 'info';
  return {
    ok: true,
    event: {
      at,
      level: LEVEL_VALUE[level],
      source: input.source,
      message: redactText(input.message),
      attributes: (redactValue(input.attributes ?? {}) as Record<string, unknown>) ?? {},
      requestId: input.requestId ?? null,
    },
  };
}

export interface IngestDeps {
  db: Kysely<Database>;
  clock?: Clock;
  rules?: RuleCache;
}

export interface IngestTarget {
  /** Null: the platform's own events with no org. */
  orgId: string | null;
  apiKeyId?: string | null;
}

export interface IngestOutcome {
  /** Stored event ids, in the order of the accepted events. */
  ids: string[];
  /** Incidents opened by this batch. */
  openedIncidentIds: string[];
}

/** The rule-matching summary of one batch for one rule. */
interface RuleHits {
  rule: CompiledRule;
  count: number;
  firstIndex: number;
  lastAt: Date;
}

function matchRules(rules: readonly CompiledRule[], events: readonly PreparedLogEvent[]): RuleHits[] {
  if (rules.length === 0) return [];
  const hits = new Map<string, RuleHits>();
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as PreparedLogEvent;
    let lower: string | undefined;
    for (const rule of rules) {
      if (event.level < rule.minLevel) continue;
      if (rule.containsText !== null && lower === undefined) lower = event.message.toLowerCase();
      if (!ruleMatches(rule, event, lower)) continue;
      const hit = hits.get(rule.id);
      if (hit) {
        hit.count += 1;
        if (event.at > hit.lastAt) hit.lastAt = event.at;
      } else hits.set(rule.id, { rule, count: 1, firstIndex: i, lastAt: event.at });
    }
  }
  // Rows are locked in rule order, so two batches matching the same rules never deadlock.
  return [...hits.values()].sort((a, b) => (a.rule.id < b.rule.id ? -1 : 1));
}

/** Counter buckets: a window is counted as the sum of the buckets that start within it. */
function bucketSeconds(windowSeconds: number): number {
  return Math.max(1, Math.ceil(windowSeconds / 10));
}

/**
 * Stores prepared events and evaluates the alert rules that apply to the target's org, in one
 * transaction. Per rule that matched anything: one counter upsert (which serialises the batches of
 * that rule and org on its row, so the running total each sees is exact) and, at or over the
 * threshold, one incident upsert that the one-open-incident index turns into "open, or add to the open one".
 */
export async function storeLogEvents(
  deps: IngestDeps,
  target: IngestTarget,
  events: readonly PreparedLogEvent[],
): Promise<IngestOutcome> {
  if (events.length === 0) return { ids: [], openedIncidentIds: [] };
  const rules = await (deps.rules ?? processRuleCache).rulesFor(deps.db, target.orgId);
  return deps.db
    .transaction()
    .execute((trx) => storeWithRules(trx, rules, (deps.clock ?? systemClock).now(), target, events, true));
}

/**
 * The same inside the caller's transaction, for a consumer that records a platform failure as part
 * of its own unit of work. `announce: false` writes no `IncidentOpened` (the caller tells people
 * itself, as the quarantine notice does).
 */
export async function storeLogEventsInTransaction(
  trx: Transaction<Database>,
  deps: { clock?: Clock; rules?: RuleCache },
  target: IngestTarget,
  events: readonly PreparedLogEvent[],
  options: { announce: boolean },
): Promise<IngestOutcome> {
  if (events.length === 0) return { ids: [], openedIncidentIds: [] };
  const rules = await (deps.rules ?? processRuleCache).rulesFor(trx, target.orgId);
  return storeWithRules(trx, rules, (deps.clock ?? systemClock).now(), target, events, options.announce);
}

async function storeWithRules(
  trx: Transaction<Database>,
  rules: readonly CompiledRule[],
  now: Date,
  target: IngestTarget,
  events: readonly PreparedLogEvent[],
  announce: boolean,
): Promise<IngestOutcome> {
  const hits = matchRules(rules, events);
  const ids = await insertEvents(trx, target, events);
  const openedIncidentIds: string[] = [];
  for (const hit of hits) {
    const opened = await applyHits(trx, target.orgId, hit, events, ids, now, announce);
    if (opened) openedIncidentIds.push(opened);
  }
  return { ids, openedIncidentIds };
}

async function insertEvents(
  trx: Transaction<Database>,
  target: IngestTarget,
  events: readonly PreparedLogEvent[],
): Promise<string[]> {
  const at: string[] = [];
  const level: number[] = [];
  const source: string[] = [];
  const message: string[] = [];
  const attributes: string[] = [];
  const requestId: Array<string | null> = [];
  for (const event of events) {
    at.push(event.at.toISOString());
    level.push(event.level);
    source.push(event.source);
    message.push(event.message);
    attributes.push(JSON.stringify(event.attributes));
    requestId.push(event.requestId);
  }
  // One statement for the whole batch. Identity values are drawn in the order the rows are inserted,
  // which is the order of the arrays, so the sorted ids line up with the events.
  const { rows } = await sql<{ id: string }>`
    INSERT INTO log_events (org_id, at, level, source, message, attributes, request_id, api_key_id)
    SELECT ${target.orgId}::uuid, t.at, t.level, t.source, t.message, t.attributes, t.request_id, ${target.apiKeyId ?? null}::uuid
    FROM unnest(${at}::timestamptz[], ${level}::smallint[], ${source}::text[], ${message}::text[],
                ${attributes}::jsonb[], ${requestId}::text[])
      AS t(at, level, source, message, attributes, request_id)
    RETURNING id`.execute(trx);
  return rows
    .map((row) => BigInt(row.id))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String);
}

async function applyHits(
  trx: Transaction<Database>,
  orgId: string | null,
  hit: RuleHits,
  events: readonly PreparedLogEvent[],
  ids: readonly string[],
  now: Date,
  announce: boolean,
): Promise<string | null> {
  const { rule } = hit;
  const orgKey = orgId ?? NO_ORG;
  const width = bucketSeconds(rule.windowSeconds);
  const bucket = new Date(Math.floor(now.getTime() / (width * 1000)) * width * 1000);
  const windowStart = new Date(now.getTime() - rule.windowSeconds * 1000);
  const { rows } = await sql<{ total: string }>`
    WITH bumped AS (
      INSERT INTO alert_rule_counts (rule_id, org_key, bucket, count)
      VALUES (${rule.id}::uuid, ${orgKey}::uuid, ${bucket}::timestamptz, ${hit.count})
      ON CONFLICT (rule_id, org_key, bucket) DO UPDATE SET count = alert_rule_counts.count + excluded.count
      RETURNING count
    )
    SELECT (SELECT count FROM bumped) + coalesce((
      SELECT sum(count) FROM alert_rule_counts
      WHERE rule_id = ${rule.id}::uuid AND org_key = ${orgKey}::uuid
        AND bucket > ${windowStart}::timestamptz AND bucket <> ${bucket}::timestamptz
    ), 0) AS total`.execute(trx);
  const total = Number(rows[0]?.total ?? hit.count);

  const first = events[hit.firstIndex] as PreparedLogEvent;
  if (total < rule.threshold) {
    // Below the threshold: only an incident already open counts these matches.
    await sql`
      UPDATE incidents SET event_count = event_count + ${hit.count},
        last_event_at = greatest(last_event_at, ${hit.lastAt}::timestamptz)
      WHERE rule_id = ${rule.id}::uuid AND coalesce(org_id, ${NO_ORG}::uuid) = ${orgKey}::uuid
        AND status <> 'resolved'`.execute(trx);
    return null;
  }
  const title = incidentTitle(rule, first.message);
  const { rows: upserted } = await sql<{ id: string; opened: boolean; opened_at: Date }>`
    INSERT INTO incidents (org_id, rule_id, rule_name, built_in, title, first_event_id, first_event_at,
                           last_event_at, event_count)
    VALUES (${orgId}::uuid, ${rule.id}::uuid, ${rule.name}, ${rule.orgId === null}, ${title},
            ${ids[hit.firstIndex] ?? null}::bigint, ${first.at}::timestamptz, ${hit.lastAt}::timestamptz,
            ${Math.min(total, 2_000_000_000)})
    ON CONFLICT (rule_id, coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid))
      WHERE status <> 'resolved'
    DO UPDATE SET event_count = incidents.event_count + ${hit.count},
      last_event_at = greatest(incidents.last_event_at, excluded.last_event_at)
    RETURNING id, (xmax = 0) AS opened, opened_at`.execute(trx);
  const incident = upserted[0];
  if (!incident?.opened) return null;
  if (!announce) return incident.id;
  await writeOutboxEvent(trx, {
    orgId,
    type: IncidentOpened,
    aggregateType: INCIDENT_AGGREGATE,
    aggregateId: incident.id,
    payload: {
      incidentId: incident.id,
      ruleId: rule.id,
      title,
      builtIn: rule.orgId === null,
      level: levelName(first.level),
      openedAt: new Date(incident.opened_at).toISOString(),
    },
  });
  return incident.id;
}

function incidentTitle(rule: CompiledRule, message: string): string {
  const line = message.split('\n', 1)[0] ?? '';
  const short = line.length > 140 ? `${line.slice(0, 139)}…` : line;
  return `${rule.name}: ${short}`;
}

// ---- The procedures' use cases -------------------------------------------------------------------

export interface BulkIngestResult {
  accepted: number;
  rejected: Array<{ index: number; fieldErrors: Record<string, string[]> }>;
}

/** `logs.ingest`: one event; a bad one → 400 VALIDATION_ERROR naming its fields. */
export async function ingestLogEvent(
  deps: IngestDeps,
  target: IngestTarget,
  input: { event: unknown },
): Promise<{ id: string }> {
  const now = (deps.clock ?? systemClock).now();
  const prepared = prepareLogEvent(input.event, { now });
  if (!prepared.ok) {
    const fieldErrors = Object.fromEntries(
      Object.entries(prepared.fieldErrors).map(([field, messages]) => [`event.${field}`, messages]),
    );
    throw new ValidationError('This log event is not valid', fieldErrors);
  }
  const { ids } = await storeLogEvents(deps, target, [prepared.event]);
  return { id: ids[0] as string };
}

/**
 * `logs.ingestBulk`: up to 1,000 events. Each event is validated on its own: the valid ones are
 * stored (in one transaction) and the answer lists every refused one by index with its field errors,
 * so a shipper retries only those (and never duplicates the accepted ones).
 */
export async function ingestLogEvents(
  deps: IngestDeps,
  target: IngestTarget,
  events: readonly unknown[],
): Promise<BulkIngestResult> {
  const now = (deps.clock ?? systemClock).now();
  const good: PreparedLogEvent[] = [];
  const rejected: BulkIngestResult['rejected'] = [];
  events.forEach((raw, index) => {
    const prepared = prepareLogEvent(raw, { now });
    if (prepared.ok) good.push(prepared.event);
    else rejected.push({ index, fieldErrors: prepared.fieldErrors });
  });
  await storeLogEvents(deps, target, good);
  return { accepted: good.length, rejected };
}
