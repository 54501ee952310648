import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { activeMembers } from '../access/members.ts';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import type { EnvelopeOf } from '../events/envelope.ts';
import { consumeOnce } from '../events/inbox.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { defineEventQueue } from '../events/queue-definition.ts';
import { enqueueNotification } from '../notifications/enqueue.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { cursorCodec, ZCursorField, ZTimestampText } from '../platform/input-blocks.ts';
import { escapeLike } from '../platform/keyset.ts';
import type { LogSink } from '../platform/logger.ts';
import { silentLog } from '../platform/logger.ts';
import { validateInput } from '../platform/validate-input.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { publishQuietly } from '../realtime/publishers.ts';
import { INCIDENT_AGGREGATE, IncidentOpened, IncidentStatusChanged } from './events.ts';
import { type LogEventDto, toLogEventDto } from './query.ts';

/**
 * Incidents (SPEC §7): opened by ingest (ingest.ts) when a rule's matches reach its threshold; at most
 * one not-yet-resolved incident per (rule, org). Org incidents are their admins' (`incidents.manage`);
 * incidents of the built-in platform rules are also the operators' (`scope: 'platform'`), and those
 * without an org only theirs.
 */
export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const ZListIncidentsInput = z.object({
  status: z.enum(INCIDENT_STATUSES).optional(),
  /** `platform`: operators' view — every incident of the built-in platform rules, in any org or none. */
  scope: z.enum(['org', 'platform']).default('org'),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export const ZIncidentIdInput = z.object({ id: z.uuid() });
export const ZIncidentActionInput = z.object({
  id: z.uuid(),
  note: z.string().trim().max(2_000).optional(),
});

export interface IncidentDto {
  id: string;
  orgId: string | null;
  ruleId: string | null;
  ruleName: string;
  builtIn: boolean;
  title: string;
  status: IncidentStatus;
  eventCount: number;
  firstEventAt: Date;
  lastEventAt: Date;
  openedAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
}

export interface IncidentDetail extends IncidentDto {
  notes: Array<{ id: string; action: string; body: string; authorId: string | null; createdAt: Date }>;
  /** The latest matching events, from the window that opened it on (at most 50, newest first). */
  events: LogEventDto[];
}

export interface IncidentDeps {
  db: Kysely<Database>;
  clock?: Clock;
  realtime?: RealtimePublisher | null;
  log?: LogSink;
}

const COLUMNS = [
  'incidents.id',
  'incidents.org_id',
  'incidents.rule_id',
  'incidents.rule_name',
  'incidents.built_in',
  'incidents.title',
  'incidents.status',
  'incidents.event_count',
  'incidents.first_event_at',
  'incidents.last_event_at',
  'incidents.opened_at',
  'incidents.acknowledged_at',
  'incidents.resolved_at',
  'incidents.first_event_id',
] as const;

type IncidentRow = {
  id: string;
  org_id: string | null;
  rule_id: string | null;
  rule_name: string;
  built_in: boolean;
  title: string;
  status: IncidentStatus;
  event_count: number;
  first_event_at: Date;
  last_event_at: Date;
  opened_at: Date;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
};

function toDto(row: IncidentRow): IncidentDto {
  return {
    id: row.id,
    orgId: row.org_id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    builtIn: row.built_in,
    title: row.title,
    status: row.status,
    eventCount: row.event_count,
    firstEventAt: row.first_event_at,
    lastEventAt: row.last_event_at,
    openedAt: row.opened_at,
    acknowledgedAt: row.acknowledged_at,
    resolvedAt: row.resolved_at,
  };
}

function isOperator(actor: Session): boolean {
  return actor.platformRole === 'operator';
}

/** The incidents the actor may see: their org's, plus (operators) every built-in-rule incident. */
function visible(db: Kysely<Database>, actor: Session) {
  return db
    .selectFrom('incidents')
    .where((eb) =>
      isOperator(actor)
        ? eb.or([eb('incidents.org_id', '=', actor.orgId), eb('incidents.built_in', '=', true)])
        : eb('incidents.org_id', '=', actor.orgId),
    );
}

const listCursor = cursorCodec(z.tuple([ZTimestampText, z.uuid()]));

export async function listIncidents(
  deps: IncidentDeps,
  actor: Session,
  input: z.input<typeof ZListIncidentsInput>,
): Promise<{ items: IncidentDto[]; nextCursor: string | null }> {
  const { status, scope, cursor, limit } = validateInput(ZListIncidentsInput, input);
  if (scope === 'platform' && !isOperator(actor)) throw new ForbiddenError('Operators only');
  let query = deps.db
    .selectFrom('incidents')
    .select([...COLUMNS, (eb) => eb.cast<string>('incidents.opened_at', 'text').as('opened_text')])
    .orderBy('incidents.opened_at', 'desc')
    .orderBy('incidents.id', 'desc')
    .limit(limit + 1);
  query =
    scope === 'platform'
      ? query.where('incidents.built_in', '=', true)
      : query.where('incidents.org_id', '=', actor.orgId);
  if (status) query = query.where('incidents.status', '=', status);
  if (cursor) {
    const [at, id] = listCursor.decode(cursor);
    query = query.where(
      sql<boolean>`(incidents.opened_at, incidents.id) < (${at}::timestamptz, ${id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toDto),
    nextCursor: rows.length > limit && last ? listCursor.encode([last.opened_text, last.id]) : null,
  };
}

const MAX_DETAIL_EVENTS = 50;

export async function getIncident(
  deps: IncidentDeps,
  actor: Session,
  input: { id: string },
): Promise<IncidentDetail> {
  const { id } = validateInput(ZIncidentIdInput, input);
  const row = await visible(deps.db, actor).select(COLUMNS).where('incidents.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Incident not found');
  const notes = await deps.db
    .selectFrom('incident_notes')
    .select(['id', 'action', 'body', 'author_id', 'created_at'])
    .where('incident_id', '=', id)
    .orderBy('created_at')
    .limit(200)
    .execute();
  const rule = row.rule_id
    ? await deps.db
        .selectFrom('alert_rules')
        .select(['min_level', 'source', 'contains_text', 'window_seconds'])
        .where('id', '=', row.rule_id)
        .executeTakeFirst()
    : undefined;
  // The matching events from the window that opened it up to the latest (newest first, at most 50).
  let events: LogEventDto[] = [];
  if (rule) {
    const from = new Date(row.first_event_at.getTime() - rule.window_seconds * 1000);
    let query = deps.db
      .selectFrom('log_events')
      .select(['id', 'at', 'received_at', 'level', 'source', 'message', 'attributes', 'request_id'])
      .where('at', '>=', from)
      .where('at', '<=', row.last_event_at)
      .where('level', '>=', rule.min_level)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(MAX_DETAIL_EVENTS);
    query = row.org_id === null ? query.where('org_id', 'is', null) : query.where('org_id', '=', row.org_id);
    if (rule.source) {
      const source = rule.source;
      query = query.where((eb) =>
        eb.or([eb('source', '=', source), eb('source', 'like', `${escapeLike(source)}.%`)]),
      );
    }
    if (rule.contains_text) {
      query = query.where(sql<boolean>`strpos(lower(message), ${rule.contains_text.toLowerCase()}) > 0`);
    }
    events = (await query.execute()).map(toLogEventDto);
  } else if (row.first_event_id) {
    const first = await deps.db
      .selectFrom('log_events')
      .select(['id', 'at', 'received_at', 'level', 'source', 'message', 'attributes', 'request_id'])
      .where('id', '=', row.first_event_id as never)
      .execute();
    events = first.map(toLogEventDto);
  }
  return {
    ...toDto(row),
    notes: notes.map((note) => ({
      id: note.id,
      action: note.action,
      body: note.body,
      authorId: note.author_id,
      createdAt: note.created_at,
    })),
    events,
  };
}

async function changeStatus(
  deps: IncidentDeps,
  actor: Session,
  input: z.input<typeof ZIncidentActionInput>,
  to: 'acknowledged' | 'resolved',
): Promise<IncidentDto> {
  const { id, note } = validateInput(ZIncidentActionInput, input);
  const now = (deps.clock ?? systemClock).now();
  const row = await deps.db.transaction().execute(async (trx) => {
    const current = await visible(trx, actor)
      .select(['incidents.id', 'incidents.status', 'incidents.org_id'])
      .where('incidents.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw new NotFoundError('Incident not found');
    if (current.status === 'resolved') throw new ConflictError('This incident is already resolved');
    if (current.status === to) throw new ConflictError('This incident is already acknowledged');
    const updated = await trx
      .updateTable('incidents')
      .set(
        to === 'acknowledged'
          ? { status: to, acknowledged_at: now, acknowledged_by: actor.userId }
          : { status: to, resolved_at: now, resolved_by: actor.userId },
      )
      .where('id', '=', id)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('incident_notes')
      .values({ incident_id: id, author_id: actor.userId, action: to, body: note ?? '' })
      .execute();
    // The audit entry goes to the org the incident belongs to; a platform incident's to the operator's.
    await appendAudit(trx, {
      orgId: current.org_id ?? actor.orgId,
      actorId: current.org_id === null || current.org_id === actor.orgId ? actor.userId : null,
      action: to === 'acknowledged' ? 'incident.acknowledged' : 'incident.resolved',
      resourceType: 'incident',
      resourceId: id,
      payload: {
        note: note ?? null,
        ...(current.org_id !== actor.orgId ? { byOperator: actor.userId } : {}),
      },
    });
    await writeOutboxEvent(trx, {
      orgId: current.org_id,
      type: IncidentStatusChanged,
      aggregateType: INCIDENT_AGGREGATE,
      aggregateId: id,
      payload: { incidentId: id, status: to, actorId: actor.userId },
    });
    return updated;
  });
  if (row.org_id) {
    await publishQuietly(
      deps.realtime,
      {
        orgId: row.org_id,
        type: 'incident.updated',
        payload: { incidentId: id, status: to },
        audience: { permission: 'incidents.manage' },
      },
      deps.log ?? silentLog,
    );
  }
  return toDto(row);
}

export function acknowledgeIncident(
  deps: IncidentDeps,
  actor: Session,
  input: z.input<typeof ZIncidentActionInput>,
) {
  return changeStatus(deps, actor, input, 'acknowledged');
}

export function resolveIncident(
  deps: IncidentDeps,
  actor: Session,
  input: z.input<typeof ZIncidentActionInput>,
) {
  return changeStatus(deps, actor, input, 'resolved');
}

/** Open incidents, for the Ops overview: the org's, and (operators) every built-in one. */
export async function countOpenIncidents(db: Kysely<Database>, actor: Session): Promise<{ open: number }> {
  const row = await visible(db, actor)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('incidents.status', '<>', 'resolved')
    .executeTakeFirstOrThrow();
  return { open: Number(row.n) };
}

// ---- Telling people ------------------------------------------------------------------------------

export const INCIDENT_NOTICE_QUEUE = 'incidents.notice';

/** Writes notification rows only (delivery is the dispatcher's); retries cover a database hiccup. */
export const incidentNoticeQueue = defineEventQueue({
  name: INCIDENT_NOTICE_QUEUE,
  events: [IncidentOpened],
  retryLimit: 8,
  retryDelaySeconds: 5,
  retryDelayMaxSeconds: 600,
  expireInSeconds: 60,
});

const MAX_RECIPIENTS = 500;

export function incidentPath(incidentId: string): string {
  return `/admin/incidents/${incidentId}`;
}

function severityOf(level: string): string {
  return level === 'fatal' ? 'critical' : level === 'error' ? 'high' : level === 'warn' ? 'medium' : 'low';
}

export interface IncidentNoticeDeps {
  db: Kysely<Database>;
  realtime?: RealtimePublisher | null;
  webBaseUrl?: string;
  log?: LogSink;
  consumer?: string;
}

/**
 * `IncidentOpened` → the `incident-opened` email and in-app notice to every active member holding
 * `incidents.manage` in the incident's org — and, for an incident of a built-in platform rule, to every
 * active platform operator too (for one without an org, only them) — in one inbox transaction, so a
 * redelivered event notifies nobody twice. Then `incident.opened` live to each org concerned.
 */
export async function noticeIncidentOpened(
  deps: IncidentNoticeDeps,
  event: EnvelopeOf<typeof IncidentOpened>,
): Promise<{ processed: boolean; recipients: number }> {
  const log = deps.log ?? silentLog;
  const { incidentId, title, builtIn, level, openedAt, ruleId } = event.payload;
  const orgId = event.orgId;
  const path = incidentPath(incidentId);
  const emailUrl = deps.webBaseUrl
    ? new URL(
        path.replace(/^\//, ''),
        deps.webBaseUrl.endsWith('/') ? deps.webBaseUrl : `${deps.webBaseUrl}/`,
      ).toString()
    : path;
  const severity = severityOf(level);
  const outcome = await consumeOnce(
    deps.db,
    { consumer: deps.consumer ?? INCIDENT_NOTICE_QUEUE, eventId: event.eventId },
    async (trx) => {
      const admins = orgId
        ? await activeMembers(trx, { orgId, permission: 'incidents.manage' }, { limit: MAX_RECIPIENTS })
        : [];
      const operators =
        builtIn || !orgId
          ? await activeMembers(trx, { platformRole: 'operator' }, { limit: MAX_RECIPIENTS })
          : [];
      const seen = new Set<string>();
      const recipients = [...admins, ...operators].filter((r) => !seen.has(r.userId) && seen.add(r.userId));
      for (const recipient of recipients) {
        for (const channel of ['in_app', 'email'] as const) {
          await enqueueNotification(trx, {
            orgId: recipient.orgId,
            channel,
            to: { userId: recipient.userId },
            templateKey: 'incident-opened',
            variables: { title, severity, url: channel === 'email' ? emailUrl : path },
          });
        }
      }
      return recipients;
    },
  );
  if (!outcome.processed) return { processed: false, recipients: 0 };
  const recipients = outcome.result;
  if (recipients.length === 0) {
    log.error(
      { incidentId, orgId },
      'incident opened but nobody may be told (no admin or operator is active)',
    );
  }
  const orgs = new Set(recipients.map((r) => r.orgId));
  if (orgId) orgs.add(orgId);
  for (const target of orgs) {
    await publishQuietly(
      deps.realtime,
      {
        orgId: target,
        type: 'incident.opened',
        payload: { incidentId, ruleId, title, severity, url: path, builtIn, openedAt, orgId },
        audience: target === orgId ? { permission: 'incidents.manage' } : { permission: 'ops.read' },
      },
      log,
    );
  }
  return { processed: true, recipients: recipients.length };
}
