import type { Database, PeopleTable } from '@atrium/db';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/append.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { systemClock } from '../platform/clock.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import { containsPattern, keysetPage } from '../platform/keyset.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { publishQuietly } from '../realtime/publishers.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { WorkplaceDeps } from './connection.ts';
import { CsvSyntaxError, parseCsv } from './csv.ts';
import { PERSON_AGGREGATE, PersonAssigned } from './events.ts';
import {
  type EntityData,
  storedData,
  ZEntityData,
  ZExternalId,
  ZIdInput,
  ZListLimit,
  ZSearchText,
} from './inputs.ts';
import { requestSpaceSync } from './sync-requests.ts';

export type PersonRow = Selectable<PeopleTable>;

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────────

export const ZCreatePersonInput = z.object({
  externalId: ZExternalId.nullish(),
  data: ZEntityData.default({}),
});
export type CreatePersonInput = z.input<typeof ZCreatePersonInput>;

export const ZUpdatePersonInput = z.object({
  id: z.uuid(),
  externalId: ZExternalId.nullish(),
  data: ZEntityData.optional(),
});
export type UpdatePersonInput = z.input<typeof ZUpdatePersonInput>;

export const ZListPeopleInput = z.object({
  q: ZSearchText.optional(),
  assigned: z.boolean().optional(),
  cursor: ZCursorField.optional(),
  limit: ZListLimit,
});
export type ListPeopleInput = z.input<typeof ZListPeopleInput>;

export const ZAssignInput = z.object({ personId: z.uuid(), spaceId: z.uuid() });
export type AssignInput = z.infer<typeof ZAssignInput>;

export const ZUnassignInput = z.object({ personId: z.uuid() });
export type UnassignInput = z.infer<typeof ZUnassignInput>;

/** The largest CSV `workplace.people.import` takes (the procedure declares a matching body cap). */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 5_000;

export const ZImportPeopleInput = z.object({
  csv: z.string().min(1, { message: 'The file is empty' }).max(MAX_IMPORT_BYTES, { message: 'At most 2 MB' }),
  /** Check and report without changing anything (the preview). */
  dryRun: z.boolean().default(false),
});
export type ImportPeopleInput = z.input<typeof ZImportPeopleInput>;

// ── Views ─────────────────────────────────────────────────────────────────────────────────────────

export interface PersonView {
  id: string;
  externalId: string | null;
  data: EntityData;
  assignedSpace: { id: string; externalId: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

type PersonWithSpace = PersonRow & { space_external_id: string | null };

function view(row: PersonWithSpace): PersonView {
  return {
    id: row.id,
    externalId: row.external_id,
    data: storedData(row.data),
    assignedSpace:
      row.assigned_space_id && row.space_external_id
        ? { id: row.assigned_space_id, externalId: row.space_external_id }
        : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function peopleWithSpace(db: Kysely<Database>, orgId: string) {
  return scoped(db, orgId)
    .selectFrom('people')
    .leftJoin('spaces', (join) =>
      join.onRef('spaces.id', '=', 'people.assigned_space_id').onRef('spaces.org_id', '=', 'people.org_id'),
    )
    .selectAll('people')
    .select(['spaces.external_id as space_external_id']);
}

async function reload(db: Kysely<Database>, orgId: string, id: string): Promise<PersonView> {
  const row = await peopleWithSpace(db, orgId).where('people.id', '=', id).executeTakeFirstOrThrow();
  return view(row as PersonWithSpace);
}

// ── Use cases ─────────────────────────────────────────────────────────────────────────────────────

/** `workplace.people.list`: newest first, keyset-paged; `q` matches the external id or any field. */
export async function listPeople(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: ListPeopleInput,
): Promise<{ items: PersonView[]; nextCursor: string | null }> {
  const input = validateInput(ZListPeopleInput, rawInput);
  let query = peopleWithSpace(deps.db, session.orgId)
    .select(sql<string>`people.created_at::text`.as('created_text'))
    .orderBy('people.created_at', 'desc')
    .orderBy('people.id', 'desc')
    .limit(input.limit + 1);
  if (input.assigned !== undefined) {
    query = query.where('people.assigned_space_id', input.assigned ? 'is not' : 'is', null);
  }
  if (input.q) {
    const pattern = containsPattern(input.q);
    query = query.where((eb) =>
      eb.or([
        eb('people.external_id', 'ilike', pattern),
        eb(sql<string>`people.data::text`, 'ilike', pattern),
      ]),
    );
  }
  if (input.cursor) {
    const { at, id } = decodeTimeIdCursor(input.cursor);
    query = query.where(sql<boolean>`(people.created_at, people.id) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query.execute();
  return keysetPage(
    rows,
    input.limit,
    (row) => view(row as PersonWithSpace),
    (last) => encodeTimeIdCursor(last.created_text, last.id),
  );
}

export async function getPerson(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: { id: string },
): Promise<PersonView> {
  const { id } = validateInput(ZIdInput, rawInput);
  const row = await peopleWithSpace(deps.db, session.orgId).where('people.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Person');
  return view(row as PersonWithSpace);
}

const takenExternalId = (externalId: string) =>
  new ConflictError(`A person with the id ${externalId} already exists`);

export async function createPerson(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: CreatePersonInput,
): Promise<PersonView> {
  const input = validateInput(ZCreatePersonInput, rawInput);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await scoped(trx, session.orgId)
        .insertInto('people', { external_id: input.externalId ?? null, data: JSON.stringify(input.data) })
        .returning('id')
        .executeTakeFirstOrThrow();
      return reload(trx, session.orgId, row.id);
    });
  } catch (error) {
    if (isUniqueViolation(error) && input.externalId) throw takenExternalId(input.externalId);
    throw error;
  }
}

/** `workplace.people.update`: when the person sits on a space, that space's label is synced again. */
export async function updatePerson(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: UpdatePersonInput,
): Promise<PersonView> {
  const input = validateInput(ZUpdatePersonInput, rawInput);
  const now = (deps.clock ?? systemClock).now();
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await scoped(trx, session.orgId)
        .updateTable('people')
        .set({
          ...(input.externalId !== undefined ? { external_id: input.externalId } : {}),
          ...(input.data !== undefined ? { data: JSON.stringify(input.data) } : {}),
          updated_at: now,
        })
        .where('id', '=', input.id)
        .returning(['id', 'assigned_space_id'])
        .executeTakeFirst();
      if (!row) throw new NotFoundError('Person');
      if (row.assigned_space_id) await touchSpaces(trx, session.orgId, [row.assigned_space_id], now);
      return reload(trx, session.orgId, row.id);
    });
  } catch (error) {
    if (isUniqueViolation(error) && input.externalId) throw takenExternalId(input.externalId);
    throw error;
  }
}

export async function deletePerson(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: { id: string },
): Promise<{ id: string }> {
  const { id } = validateInput(ZIdInput, rawInput);
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, session.orgId)
      .deleteFrom('people')
      .where('id', '=', id)
      .returning(['id', 'external_id', 'assigned_space_id'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Person');
    if (row.assigned_space_id) await touchSpaces(trx, session.orgId, [row.assigned_space_id], now);
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'workplace.person.deleted',
        resourceType: 'workplace.person',
        resourceId: row.id,
        payload: { externalId: row.external_id },
      },
      { clock: deps.clock ?? systemClock },
    );
    return { id: row.id };
  });
}

/** Marks spaces whose label shows a changed assignment as pending and asks for their sync. */
async function touchSpaces(
  trx: Transaction<Database>,
  orgId: string,
  spaceIds: string[],
  now: Date,
): Promise<void> {
  if (spaceIds.length === 0) return;
  const spaces = await scoped(trx, orgId)
    .updateTable('spaces')
    .set({ sync_status: 'pending', sync_error: null, updated_at: now })
    .where('id', 'in', spaceIds)
    .returning('external_id')
    .execute();
  for (const space of spaces) await requestSpaceSync(trx, orgId, space.external_id, 'assignment');
}

const SPACE_TAKEN = 'This space is already assigned to someone else';

/**
 * `workplace.people.assign` (SPEC §9), in one transaction: the space must exist (404) and be free
 * (409), the person's old assignment is cleared and the new one set, `PersonAssigned` is written and
 * both spaces' articles are asked to sync. Concurrent assigns of one space: the space row lock
 * serialises them and the unique index on `assigned_space_id` backs the check. After the commit the
 * org hears `person.assigned` live.
 */
export async function assignPerson(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: AssignInput,
): Promise<PersonView> {
  const input = validateInput(ZAssignInput, rawInput);
  const now = (deps.clock ?? systemClock).now();
  let previousSpaceId: string | null = null;
  let result: PersonView;
  try {
    result = await deps.db.transaction().execute(async (trx) => {
      const scope = scoped(trx, session.orgId);
      const space = await scope
        .selectFrom('spaces')
        .select(['id'])
        .where('id', '=', input.spaceId)
        .forUpdate()
        .executeTakeFirst();
      if (!space) throw new NotFoundError('Space');
      const person = await scope
        .selectFrom('people')
        .select(['id', 'assigned_space_id'])
        .where('id', '=', input.personId)
        .forUpdate()
        .executeTakeFirst();
      if (!person) throw new NotFoundError('Person');
      previousSpaceId = person.assigned_space_id;
      if (person.assigned_space_id === space.id) return reload(trx, session.orgId, person.id);
      const holder = await scope
        .selectFrom('people')
        .select('id')
        .where('assigned_space_id', '=', space.id)
        .executeTakeFirst();
      if (holder) throw new ConflictError(SPACE_TAKEN, { personId: holder.id });
      await scope
        .updateTable('people')
        .set({ assigned_space_id: space.id, updated_at: now })
        .where('id', '=', person.id)
        .execute();
      await writeOutboxEvent(trx, {
        orgId: session.orgId,
        type: PersonAssigned,
        aggregateType: PERSON_AGGREGATE,
        aggregateId: person.id,
        payload: { personId: person.id, spaceId: space.id, previousSpaceId },
      });
      await touchSpaces(trx, session.orgId, [space.id, ...(previousSpaceId ? [previousSpaceId] : [])], now);
      return reload(trx, session.orgId, person.id);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(SPACE_TAKEN);
    throw error;
  }
  if (previousSpaceId !== input.spaceId) {
    await publishQuietly(
      deps.realtime,
      {
        orgId: session.orgId,
        type: 'person.assigned',
        payload: { personId: input.personId, spaceId: input.spaceId, previousSpaceId },
        audience: { permission: 'workplace.write' },
      },
      deps.log,
    );
  }
  return result;
}

/** `workplace.people.unassign`: frees the person's space (a person without one is left as is). */
export async function unassignPerson(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: UnassignInput,
): Promise<PersonView> {
  const input = validateInput(ZUnassignInput, rawInput);
  const now = (deps.clock ?? systemClock).now();
  let previousSpaceId: string | null = null;
  const result = await deps.db.transaction().execute(async (trx) => {
    const scope = scoped(trx, session.orgId);
    const person = await scope
      .selectFrom('people')
      .select(['id', 'assigned_space_id'])
      .where('id', '=', input.personId)
      .forUpdate()
      .executeTakeFirst();
    if (!person) throw new NotFoundError('Person');
    previousSpaceId = person.assigned_space_id;
    if (!previousSpaceId) return reload(trx, session.orgId, person.id);
    await scope
      .updateTable('people')
      .set({ assigned_space_id: null, updated_at: now })
      .where('id', '=', person.id)
      .execute();
    await writeOutboxEvent(trx, {
      orgId: session.orgId,
      type: PersonAssigned,
      aggregateType: PERSON_AGGREGATE,
      aggregateId: person.id,
      payload: { personId: person.id, spaceId: null, previousSpaceId },
    });
    await touchSpaces(trx, session.orgId, [previousSpaceId], now);
    return reload(trx, session.orgId, person.id);
  });
  if (previousSpaceId) {
    await publishQuietly(
      deps.realtime,
      {
        orgId: session.orgId,
        type: 'person.assigned',
        payload: { personId: input.personId, spaceId: null, previousSpaceId },
        audience: { permission: 'workplace.write' },
      },
      deps.log,
    );
  }
  return result;
}

// ── CSV import ────────────────────────────────────────────────────────────────────────────────────

export interface ImportRowReport {
  /** The line of the file the row starts on (the header is line 1). */
  line: number;
  externalId: string | null;
  action: 'create' | 'update' | 'error';
  /** The space the row assigns, by external id. */
  space: string | null;
  errors: string[];
}

export interface ImportReport {
  /** All or nothing: true only when every row was valid and the import was not a dry run. */
  applied: boolean;
  dryRun: boolean;
  rows: ImportRowReport[];
  created: number;
  updated: number;
  errors: number;
}

const ZColumnName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/);

/**
 * `workplace.people.import`: a CSV with a header row. Columns: `externalId` (optional; a person with
 * that id is updated, else one is created), `space` (optional; the external id of the space to assign
 * them to), every other column a data field (`name`, `department`…; empty cells are left out).
 *
 * **All or nothing**: every row is checked and reported (line, action, problems); the import changes
 * anything only when no row has a problem, in one transaction, so a file is never half-imported and
 * fixing it means uploading it again. `dryRun` is the preview: the same report, nothing written.
 */
export async function importPeople(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: ImportPeopleInput,
): Promise<ImportReport> {
  const input = validateInput(ZImportPeopleInput, rawInput);
  let rows: ReturnType<typeof parseCsv>;
  try {
    rows = parseCsv(input.csv);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new ValidationError(error.message, { csv: [error.message] });
    throw error;
  }
  const [header, ...body] = rows;
  if (!header || body.length === 0) {
    throw new ValidationError('The file needs a header row and at least one person', {
      csv: ['Add a header row (e.g. externalId,name,department,space) and one row per person'],
    });
  }
  if (body.length > MAX_IMPORT_ROWS) {
    throw new ValidationError(`At most ${MAX_IMPORT_ROWS} people per file`, {
      csv: [`The file has ${body.length} rows; split it into files of at most ${MAX_IMPORT_ROWS}`],
    });
  }
  const columns = header.fields.map((name) => name.trim());
  const headerProblems = columns.flatMap((name, index) => {
    if (!ZColumnName.safeParse(name).success)
      return [`Column ${index + 1} ("${name}") is not a valid field name`];
    if (columns.indexOf(name) !== index) return [`Column "${name}" appears twice`];
    return [];
  });
  if (headerProblems.length > 0) {
    throw new ValidationError(headerProblems[0] as string, { csv: headerProblems });
  }
  const now = (deps.clock ?? systemClock).now();

  const run = async (trx: Transaction<Database>): Promise<ImportReport> => {
    const scope = scoped(trx, session.orgId);
    const externalIds = new Set<string>();
    const spaceIds = new Set<string>();
    const parsed = body.map((row) => {
      const errors: string[] = [];
      const data: Record<string, string> = {};
      let externalId: string | null = null;
      let space: string | null = null;
      if (row.fields.length !== columns.length) {
        errors.push(`Expected ${columns.length} cells, found ${row.fields.length}`);
      }
      columns.forEach((column, index) => {
        const value = (row.fields[index] ?? '').trim();
        if (value === '') return;
        if (column === 'externalId') externalId = value;
        else if (column === 'space') space = value;
        else data[column] = value;
      });
      const dataCheck = ZEntityData.safeParse(data);
      if (!dataCheck.success) errors.push(...dataCheck.error.issues.map((issue) => issue.message));
      if (externalId !== null) {
        const check = ZExternalId.safeParse(externalId);
        if (!check.success) errors.push(`externalId: ${check.error.issues[0]?.message}`);
        else if (externalIds.has(externalId))
          errors.push(`externalId ${externalId} appears on an earlier row`);
        externalIds.add(externalId);
      }
      if (space !== null) {
        if (spaceIds.has(space)) errors.push(`Space ${space} is assigned by an earlier row`);
        spaceIds.add(space);
      }
      return {
        line: row.line,
        externalId: externalId as string | null,
        space: space as string | null,
        data,
        errors,
      };
    });

    const existing = new Map(
      externalIds.size === 0
        ? []
        : (
            await scope
              .selectFrom('people')
              .select(['id', 'external_id', 'assigned_space_id'])
              .where('external_id', 'in', [...externalIds])
              .forUpdate()
              .execute()
          ).map((row) => [row.external_id as string, row]),
    );
    const spaces = new Map(
      spaceIds.size === 0
        ? []
        : (
            await scope
              .selectFrom('spaces')
              .leftJoin('people', (join) =>
                join
                  .onRef('people.assigned_space_id', '=', 'spaces.id')
                  .onRef('people.org_id', '=', 'spaces.org_id'),
              )
              .select([
                'spaces.id',
                'spaces.external_id',
                'people.external_id as holder_external_id',
                'people.id as holder_id',
              ])
              .where('spaces.external_id', 'in', [...spaceIds])
              .forUpdate(['spaces'])
              .execute()
          ).map((row) => [row.external_id, row]),
    );
    for (const row of parsed) {
      if (row.space === null) continue;
      const space = spaces.get(row.space);
      if (!space) row.errors.push(`No space with the id ${row.space}`);
      else if (space.holder_id && (row.externalId === null || space.holder_external_id !== row.externalId)) {
        row.errors.push(`Space ${row.space} is already assigned to someone else`);
      }
    }
    const report: ImportReport = {
      applied: false,
      dryRun: input.dryRun,
      rows: parsed.map((row) => ({
        line: row.line,
        externalId: row.externalId,
        space: row.space,
        action:
          row.errors.length > 0
            ? 'error'
            : row.externalId && existing.has(row.externalId)
              ? 'update'
              : 'create',
        errors: row.errors,
      })),
      created: 0,
      updated: 0,
      errors: parsed.filter((row) => row.errors.length > 0).length,
    };
    report.created = report.rows.filter((row) => row.action === 'create').length;
    report.updated = report.rows.filter((row) => row.action === 'update').length;
    if (report.errors > 0 || input.dryRun) return report;

    const touched = new Set<string>();
    for (const row of parsed) {
      const current = row.externalId ? existing.get(row.externalId) : undefined;
      const targetSpace = row.space ? (spaces.get(row.space)?.id ?? null) : undefined;
      let personId: string;
      if (current) {
        personId = current.id;
        await scope
          .updateTable('people')
          .set({ data: JSON.stringify(row.data), updated_at: now })
          .where('id', '=', current.id)
          .execute();
        if (current.assigned_space_id) touched.add(current.assigned_space_id);
      } else {
        personId = (
          await scope
            .insertInto('people', { external_id: row.externalId, data: JSON.stringify(row.data) })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
      }
      if (targetSpace && targetSpace !== current?.assigned_space_id) {
        await scope
          .updateTable('people')
          .set({ assigned_space_id: targetSpace, updated_at: now })
          .where('id', '=', personId)
          .execute();
        await writeOutboxEvent(trx, {
          orgId: session.orgId,
          type: PersonAssigned,
          aggregateType: PERSON_AGGREGATE,
          aggregateId: personId,
          payload: { personId, spaceId: targetSpace, previousSpaceId: current?.assigned_space_id ?? null },
        });
        touched.add(targetSpace);
      }
    }
    await touchSpaces(trx, session.orgId, [...touched], now);
    report.applied = true;
    return report;
  };
  return deps.db.transaction().execute(run);
}
