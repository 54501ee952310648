import type { Database } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError } from '../errors.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { escapeLike } from '../platform/keyset.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { LEVEL_VALUE, LOG_LEVELS, type LogLevel, levelName } from './levels.ts';

/**
 * Alert rules (SPEC §7) and their in-memory form.
 *
 * Evaluation never queries per event: an ingest batch loads its org's rules once (a small cache, see
 * `RuleCache`), matches every event against the compiled rules in memory (a level comparison, a
 * source comparison, a lower-cased substring test), and then touches the database once per rule that
 * matched anything in the batch (ingest.ts). Built-in rules (org_id null) watch the platform's own
 * sources for every org and for the operators.
 */

export interface CompiledRule {
  id: string;
  /** Null: built-in. */
  orgId: string | null;
  key: string | null;
  name: string;
  minLevel: number;
  /** Lower-cased. */
  containsText: string | null;
  source: string | null;
  windowSeconds: number;
  threshold: number;
}

export interface MatchableEvent {
  level: number;
  source: string;
  message: string;
}

/** `source` equals the rule's, or lies under it (`billing` matches `billing.invoices`). */
export function sourceMatches(ruleSource: string | null, source: string): boolean {
  if (ruleSource === null) return true;
  return source === ruleSource || (source.startsWith(ruleSource) && source[ruleSource.length] === '.');
}

export function ruleMatches(rule: CompiledRule, event: MatchableEvent, lowerMessage?: string): boolean {
  if (event.level < rule.minLevel) return false;
  if (!sourceMatches(rule.source, event.source)) return false;
  if (rule.containsText !== null) {
    return (lowerMessage ?? event.message.toLowerCase()).includes(rule.containsText);
  }
  return true;
}

type RuleRow = {
  id: string;
  org_id: string | null;
  key: string | null;
  name: string;
  min_level: number;
  contains_text: string | null;
  source: string | null;
  window_seconds: number;
  threshold_count: number;
};

function compile(row: RuleRow): CompiledRule {
  return {
    id: row.id,
    orgId: row.org_id,
    key: row.key,
    name: row.name,
    minLevel: row.min_level,
    containsText: row.contains_text ? row.contains_text.toLowerCase() : null,
    source: row.source,
    windowSeconds: row.window_seconds,
    threshold: row.threshold_count,
  };
}

/**
 * The enabled rules that apply to an org's events (its own and the built-in ones), kept per process
 * for `ttlMs` (default 2 s). A rule written through this process is seen at once (`invalidate`);
 * another replica's change within the TTL.
 */
export interface RuleCache {
  rulesFor(db: Kysely<Database>, orgId: string | null): Promise<CompiledRule[]>;
  invalidate(orgId?: string | null): void;
}

export function createRuleCache(options: { ttlMs?: number; clock?: Clock } = {}): RuleCache {
  const ttlMs = options.ttlMs ?? 2_000;
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, { at: number; rules: Promise<CompiledRule[]> }>();
  return {
    rulesFor(db, orgId) {
      const key = orgId ?? '';
      const now = clock.now().getTime();
      const hit = entries.get(key);
      if (hit && now - hit.at < ttlMs) return hit.rules;
      let query = db
        .selectFrom('alert_rules')
        .select([
          'id',
          'org_id',
          'key',
          'name',
          'min_level',
          'contains_text',
          'source',
          'window_seconds',
          'threshold_count',
        ])
        .where('enabled', '=', true)
        .orderBy('id');
      query =
        orgId === null
          ? query.where('org_id', 'is', null)
          : query.where((eb) => eb.or([eb('org_id', '=', orgId), eb('org_id', 'is', null)]));
      const rules = query.execute().then((rows) => rows.map(compile));
      entries.set(key, { at: now, rules });
      rules.catch(() => entries.delete(key));
      if (entries.size > 10_000) entries.delete(entries.keys().next().value as string);
      return rules;
    },
    invalidate(orgId) {
      if (orgId === undefined) entries.clear();
      else entries.delete(orgId ?? '');
    },
  };
}

/** The process's rule cache (ingest and rule writes in one process share it). */
export const processRuleCache = createRuleCache();

// ---- CRUD ---------------------------------------------------------------------------------------

const ZSource = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, { message: 'Use letters, digits and . _ : / -' });

const ZRuleFields = z.object({
  name: z.string().trim().min(1, { message: 'Name the rule' }).max(120),
  minLevel: z.enum(LOG_LEVELS),
  containsText: z.string().trim().max(200).nullable().optional(),
  source: ZSource.nullable().optional(),
  windowSeconds: z
    .number()
    .int()
    .min(10)
    .max(24 * 60 * 60),
  thresholdCount: z.number().int().min(1).max(1_000_000),
  enabled: z.boolean().default(true),
});

export const ZCreateAlertRuleInput = ZRuleFields;
export const ZUpdateAlertRuleInput = ZRuleFields.partial().extend({ id: z.uuid() });
export const ZAlertRuleIdInput = z.object({ id: z.uuid() });
export const ZPreviewAlertRuleInput = ZRuleFields.pick({ minLevel: true, containsText: true, source: true });

export interface AlertRuleDto {
  id: string;
  name: string;
  builtIn: boolean;
  minLevel: LogLevel;
  containsText: string | null;
  source: string | null;
  windowSeconds: number;
  thresholdCount: number;
  notifyAdmins: boolean;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  openIncidentId: string | null;
}

const RULE_COLUMNS = [
  'alert_rules.id',
  'alert_rules.org_id',
  'alert_rules.key',
  'alert_rules.name',
  'alert_rules.min_level',
  'alert_rules.contains_text',
  'alert_rules.source',
  'alert_rules.window_seconds',
  'alert_rules.threshold_count',
  'alert_rules.notify_admins',
  'alert_rules.enabled',
  'alert_rules.created_at',
  'alert_rules.updated_at',
] as const;

export interface RuleDeps {
  db: Kysely<Database>;
  clock?: Clock;
  rules?: RuleCache;
}

async function loadRules(db: Kysely<Database>, orgId: string, id?: string): Promise<AlertRuleDto[]> {
  let query = db
    .selectFrom('alert_rules')
    .select([
      ...RULE_COLUMNS,
      (eb) =>
        eb
          .selectFrom('incidents')
          .select('incidents.id')
          .whereRef('incidents.rule_id', '=', 'alert_rules.id')
          .where('incidents.status', '<>', 'resolved')
          .where('incidents.org_id', '=', orgId)
          .limit(1)
          .as('open_incident_id'),
    ])
    .where((eb) => eb.or([eb('alert_rules.org_id', '=', orgId), eb('alert_rules.org_id', 'is', null)]))
    .orderBy(sql`alert_rules.org_id IS NULL`, 'desc')
    .orderBy('alert_rules.created_at', 'desc')
    .orderBy('alert_rules.id')
    .limit(500);
  if (id) query = query.where('alert_rules.id', '=', id);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    builtIn: row.org_id === null,
    minLevel: levelName(row.min_level),
    containsText: row.contains_text,
    source: row.source,
    windowSeconds: row.window_seconds,
    thresholdCount: row.threshold_count,
    notifyAdmins: row.notify_admins,
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    openIncidentId: row.open_incident_id ?? null,
  }));
}

/** The org's rules, built-in ones first (at most 500: rules are configuration, not data). */
export async function listAlertRules(deps: RuleDeps, actor: Session): Promise<{ items: AlertRuleDto[] }> {
  return { items: await loadRules(deps.db, actor.orgId) };
}

export async function createAlertRule(
  deps: RuleDeps,
  actor: Session,
  input: z.input<typeof ZCreateAlertRuleInput>,
): Promise<AlertRuleDto> {
  const fields = validateInput(ZCreateAlertRuleInput, input);
  const id = await deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, actor.orgId)
      .insertInto('alert_rules', {
        name: fields.name,
        min_level: LEVEL_VALUE[fields.minLevel],
        contains_text: fields.containsText || null,
        source: fields.source ?? null,
        window_seconds: fields.windowSeconds,
        threshold_count: fields.thresholdCount,
        enabled: fields.enabled,
        created_by: actor.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'alert_rule.created',
      resourceType: 'alert_rule',
      resourceId: row.id,
      payload: fields,
    });
    return row.id;
  });
  (deps.rules ?? processRuleCache).invalidate(actor.orgId);
  const [dto] = await loadRules(deps.db, actor.orgId, id);
  if (!dto) throw new NotFoundError('Alert rule not found');
  return dto;
}

export async function updateAlertRule(
  deps: RuleDeps,
  actor: Session,
  input: z.input<typeof ZUpdateAlertRuleInput>,
): Promise<AlertRuleDto> {
  const { id, ...fields } = validateInput(ZUpdateAlertRuleInput, input);
  const now = (deps.clock ?? systemClock).now();
  await deps.db.transaction().execute(async (trx) => {
    const updated = await scoped(trx, actor.orgId)
      .updateTable('alert_rules')
      .set({
        ...(fields.name !== undefined ? { name: fields.name } : {}),
        ...(fields.minLevel !== undefined ? { min_level: LEVEL_VALUE[fields.minLevel] } : {}),
        ...(fields.containsText !== undefined ? { contains_text: fields.containsText || null } : {}),
        ...(fields.source !== undefined ? { source: fields.source } : {}),
        ...(fields.windowSeconds !== undefined ? { window_seconds: fields.windowSeconds } : {}),
        ...(fields.thresholdCount !== undefined ? { threshold_count: fields.thresholdCount } : {}),
        ...(fields.enabled !== undefined ? { enabled: fields.enabled } : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    // Built-in rules (org null) and other orgs' rules are not found through the scope.
    if (!updated) throw new NotFoundError('Alert rule not found');
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'alert_rule.updated',
      resourceType: 'alert_rule',
      resourceId: id,
      payload: fields,
    });
  });
  (deps.rules ?? processRuleCache).invalidate(actor.orgId);
  const [dto] = await loadRules(deps.db, actor.orgId, id);
  if (!dto) throw new NotFoundError('Alert rule not found');
  return dto;
}

export async function deleteAlertRule(
  deps: RuleDeps,
  actor: Session,
  input: { id: string },
): Promise<{ id: string }> {
  const { id } = validateInput(ZAlertRuleIdInput, input);
  await deps.db.transaction().execute(async (trx) => {
    const deleted = await scoped(trx, actor.orgId)
      .deleteFrom('alert_rules')
      .where('id', '=', id)
      .returning(['id', 'name'])
      .executeTakeFirst();
    if (!deleted) throw new NotFoundError('Alert rule not found');
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'alert_rule.deleted',
      resourceType: 'alert_rule',
      resourceId: id,
      payload: { name: deleted.name },
    });
  });
  (deps.rules ?? processRuleCache).invalidate(actor.orgId);
  return { id };
}

/**
 * How many of the org's events of the last hour a rule with these criteria would have matched
 * (Admin → Alert rules shows it while a rule is edited). Counted in SQL over the last hour only.
 */
export async function previewAlertRule(
  deps: RuleDeps,
  actor: Session,
  input: z.input<typeof ZPreviewAlertRuleInput>,
): Promise<{ matches: number; since: Date }> {
  const fields = validateInput(ZPreviewAlertRuleInput, input);
  const now = (deps.clock ?? systemClock).now();
  const since = new Date(now.getTime() - 60 * 60 * 1000);
  let query = deps.db
    .selectFrom('log_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('org_id', '=', actor.orgId)
    .where('at', '>=', since)
    .where('at', '<=', now)
    .where('level', '>=', LEVEL_VALUE[fields.minLevel]);
  if (fields.source) {
    const source = fields.source;
    query = query.where((eb) =>
      eb.or([eb('source', '=', source), eb('source', 'like', `${escapeLike(source)}.%`)]),
    );
  }
  if (fields.containsText) {
    query = query.where(sql<boolean>`strpos(lower(message), ${fields.containsText.toLowerCase()}) > 0`);
  }
  const row = await query.executeTakeFirstOrThrow();
  return { matches: Number(row.n), since };
}
