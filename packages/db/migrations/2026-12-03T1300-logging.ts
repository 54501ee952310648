import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// Logs, alert rules and incidents (SPEC §7; docs/logging.md).
//
// - api_keys: machine credentials per org. Only the key's SHA-256 is stored; `prefix` is the short
//   public part shown in lists. Revoked or expired keys are refused on their next call.
// - log_events: one heap table, BRIN on `at` (retention deletes and time-range scans) plus a btree
//   on (org_id, at, id) for the per-org newest-first pages, and a GIN over the message's words for
//   full-text search. No foreign key to orgs: ingest is the hot path and a per-row FK check costs
//   more than it protects (org_id is the caller's own, never client input). org_id NULL = the
//   platform's own events with no org (operators read them).
// - alert_rules: org rules, and built-in rules (org_id NULL, `key` set) that watch the platform.* sources
//   for every org and for the operators without any configuration.
// - alert_rule_counts: matches per (rule, org, time bucket); the window's total is the sum of its
//   buckets, so a rule costs one upsert per ingest batch, not a query per event.
// - incidents: at most one not-yet-resolved incident per (rule, org) — a partial unique index — so
//   concurrent ingests that cross the threshold open exactly one.
const NO_ORG = '00000000-0000-0000-0000-000000000000';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await sql`CREATE INDEX api_keys_org_created_idx ON api_keys (org_id, created_at DESC, id DESC)`.execute(db);

  await sql`CREATE TABLE log_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id uuid,
    at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    level smallint NOT NULL,
    source text NOT NULL,
    message text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
    request_id text,
    api_key_id uuid,
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, left(message, 4000))) STORED
  )`.execute(db);
  await sql`CREATE INDEX log_events_org_at_idx ON log_events (org_id, at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX log_events_at_brin ON log_events USING brin (at) WITH (pages_per_range = 32)`.execute(
    db,
  );
  await sql`CREATE INDEX log_events_search_idx ON log_events USING gin (search)`.execute(db);

  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.references('orgs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('min_level', 'smallint', (c) => c.notNull())
    .addColumn('contains_text', 'text')
    .addColumn('source', 'text')
    .addColumn('window_seconds', 'integer', (c) => c.notNull())
    .addColumn('threshold_count', 'integer', (c) => c.notNull())
    .addColumn('notify_admins', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX alert_rules_org_idx ON alert_rules (org_id, created_at DESC, id DESC)`.execute(db);

  await sql`CREATE TABLE alert_rule_counts (
    rule_id uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    org_key uuid NOT NULL,
    bucket timestamptz NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (rule_id, org_key, bucket)
  )`.execute(db);

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.references('orgs.id').onDelete('cascade'))
    .addColumn('rule_id', 'uuid', (c) => c.references('alert_rules.id').onDelete('set null'))
    .addColumn('rule_name', 'text', (c) => c.notNull())
    .addColumn('built_in', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('first_event_id', 'bigint')
    .addColumn('first_event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('acknowledged_by', 'uuid')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolved_by', 'uuid')
    .addCheckConstraint('incidents_status_check', sql`status IN ('open', 'acknowledged', 'resolved')`)
    .execute();
  await sql`CREATE UNIQUE INDEX incidents_one_open_per_rule ON incidents
    (rule_id, coalesce(org_id, ${sql.lit(NO_ORG)}::uuid)) WHERE status <> 'resolved'`.execute(db);
  await sql`CREATE INDEX incidents_org_opened_idx ON incidents (org_id, opened_at DESC, id DESC)`.execute(db);

  await db.schema
    .createTable('incident_notes')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('author_id', 'uuid')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX incident_notes_incident_idx ON incident_notes (incident_id, created_at)`.execute(db);

  // Built-in rules over the platform's own sources: on for every org and for the operators.
  await db
    .insertInto('alert_rules')
    .values(
      BUILT_IN_RULES.map((rule) => ({
        ...rule,
        org_id: null,
        contains_text: null,
        notify_admins: true,
        enabled: true,
      })),
    )
    .execute();
}

/** Levels: 10 debug, 20 info, 30 warn, 40 error, 50 fatal. */
const BUILT_IN_RULES = [
  {
    key: 'platform.dead-letter',
    name: 'A job was dead-lettered',
    source: 'platform.dead_letter',
    min_level: 40,
    window_seconds: 300,
    threshold_count: 1,
  },
  {
    key: 'platform.schedule-quarantined',
    name: 'A schedule was quarantined',
    source: 'platform.scheduler',
    min_level: 40,
    window_seconds: 300,
    threshold_count: 1,
  },
  {
    key: 'platform.audit-integrity',
    name: 'The audit integrity report found a broken chain',
    source: 'platform.audit',
    min_level: 40,
    window_seconds: 300,
    threshold_count: 1,
  },
  {
    key: 'platform.notification-failed',
    name: 'Notifications failed to send',
    source: 'platform.notifications',
    min_level: 40,
    window_seconds: 900,
    threshold_count: 3,
  },
  {
    key: 'platform.api-errors',
    name: 'The API answered with server errors',
    source: 'platform.api',
    min_level: 40,
    window_seconds: 300,
    threshold_count: 5,
  },
];

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('incident_notes').execute();
  await db.schema.dropTable('incidents').execute();
  await db.schema.dropTable('alert_rule_counts').execute();
  await db.schema.dropTable('alert_rules').execute();
  await db.schema.dropTable('log_events').execute();
  await db.schema.dropTable('api_keys').execute();
}
