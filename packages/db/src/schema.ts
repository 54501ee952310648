import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The one description of Atrium's tables, as Kysely sees them. Column names are the database's own
 * (snake_case); use cases map rows to camelCase DTOs at their edge. Migrations in ../migrations are
 * the source of truth; this file follows them.
 */

/** A timestamp column: read as Date, written as Date or ISO string, defaulted by the database. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type Json = ColumnType<unknown, unknown, unknown>;
export type JsonObject = ColumnType<
  Record<string, unknown>,
  Record<string, unknown> | string,
  Record<string, unknown> | string
>;

export interface OrgsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  settings: ColumnType<Record<string, unknown>, Record<string, unknown> | undefined, Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface OutboxEventsTable {
  id: Generated<string>;
  /** Insertion order; per-aggregate order is seq order because writers of one aggregate serialise on it. */
  seq: ColumnType<string, never, never>;
  org_id: string | null;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: JsonObject;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  published_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
}

export interface InboxTable {
  consumer: string;
  event_id: string;
  processed_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface Database {
  orgs: OrgsTable;
  outbox_events: OutboxEventsTable;
  inbox: InboxTable;
}

export type Org = Selectable<OrgsTable>;
export type NewOrg = Insertable<OrgsTable>;
export type OrgUpdate = Updateable<OrgsTable>;
export type OutboxEvent = Selectable<OutboxEventsTable>;
export type NewOutboxEvent = Insertable<OutboxEventsTable>;
