import type { Database } from '@atrium/db';
import {
  type DeleteQueryBuilder,
  type DeleteResult,
  type Insertable,
  type InsertQueryBuilder,
  type InsertResult,
  type Kysely,
  type SelectQueryBuilder,
  sql,
  type UpdateQueryBuilder,
  type UpdateResult,
} from 'kysely';

/** Tables whose rows belong to one org (they carry `org_id`). */
export type OrgOwnedTable = {
  [T in keyof Database]: 'org_id' extends keyof Database[T] ? T : never;
}[keyof Database];

/** Insert values without `org_id`: the scope supplies it, so a caller cannot get it wrong. */
export type ScopedInsert<T extends OrgOwnedTable> = Omit<Insertable<Database[T]>, 'org_id'>;

// The empty selection Kysely starts every SELECT from.
// biome-ignore lint/complexity/noBannedTypes: Kysely's own "nothing selected yet" type is `{}`.
type NothingSelected = {};

/**
 * Tenancy by construction (SPEC §1: "every query is scoped by the caller's org"). A use case that
 * works on org-owned rows starts from `scoped(db, orgId)`: every SELECT, UPDATE and DELETE it builds
 * already filters on `org_id`, and every INSERT sets it. Another org's row is then simply not found
 * — the use case answers 404 NOT_FOUND, never 403, and never learns that the row exists.
 *
 *   const user = await scoped(trx, session.orgId).selectFrom('users').selectAll()
 *     .where('id', '=', id).executeTakeFirst();   // undefined for another org's user
 *
 * Joins to other org-owned tables should join on org_id too (the schema's composite foreign keys
 * make cross-org links impossible anyway).
 */
export interface OrgScope {
  readonly orgId: string;
  /** The unscoped handle, for the rare statement that needs it (say why where you use it). */
  readonly db: Kysely<Database>;
  selectFrom<T extends OrgOwnedTable>(table: T): SelectQueryBuilder<Database, T, NothingSelected>;
  updateTable<T extends OrgOwnedTable>(table: T): UpdateQueryBuilder<Database, T, T, UpdateResult>;
  deleteFrom<T extends OrgOwnedTable>(table: T): DeleteQueryBuilder<Database, T, DeleteResult>;
  insertInto<T extends OrgOwnedTable>(
    table: T,
    values: ScopedInsert<T> | readonly ScopedInsert<T>[],
  ): InsertQueryBuilder<Database, T, InsertResult>;
}

/** Works with a Kysely instance or a transaction (a Transaction is a Kysely). */
export function scoped(db: Kysely<Database>, orgId: string): OrgScope {
  if (!orgId) throw new Error('scoped() needs an org id');
  const orgColumn = (table: string) => sql.ref(`${table}.org_id`);
  return {
    orgId,
    db,
    selectFrom<T extends OrgOwnedTable>(table: T) {
      // The generic table name defeats Kysely's inference of the builder type; the runtime query is
      // exactly `SELECT … FROM table WHERE table.org_id = $orgId`.
      return (
        db.selectFrom(table as OrgOwnedTable) as unknown as SelectQueryBuilder<Database, T, NothingSelected>
      ).where(orgColumn(table), '=', orgId);
    },
    updateTable<T extends OrgOwnedTable>(table: T) {
      return (
        db.updateTable(table as OrgOwnedTable) as unknown as UpdateQueryBuilder<Database, T, T, UpdateResult>
      ).where(orgColumn(table), '=', orgId);
    },
    deleteFrom<T extends OrgOwnedTable>(table: T) {
      return (
        db.deleteFrom(table as OrgOwnedTable) as unknown as DeleteQueryBuilder<Database, T, DeleteResult>
      ).where(orgColumn(table), '=', orgId);
    },
    insertInto<T extends OrgOwnedTable>(table: T, values: ScopedInsert<T> | readonly ScopedInsert<T>[]) {
      const rows = (Array.isArray(values) ? values : [values]).map((row) => ({ ...row, org_id: orgId }));
      return (
        db.insertInto(table as OrgOwnedTable) as unknown as InsertQueryBuilder<Database, T, InsertResult>
      ).values(rows as unknown as Insertable<Database[T]>[]);
    },
  };
}
