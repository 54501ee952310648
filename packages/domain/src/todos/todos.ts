import type { Database, TodoPriority } from '@atrium/db';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { NotFoundError } from '../errors.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { cursorCodec, ZCursorField, ZTimestampText } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';

/**
 * Todos (SPEC §5): private to their owner — every statement filters on the caller, so another
 * member's todo (or another org's) is 404. Nothing here concerns anyone else, so no events are written.
 */

export interface TodoDeps {
  db: Kysely<Database>;
  clock?: Clock;
}

const ZLabel = z.string().trim().min(1).max(40);

/** A calendar date, YYYY-MM-DD, in four-digit years. */
const ZDueDate = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { error: 'Enter a date as YYYY-MM-DD' })
  .refine(
    (value) =>
      !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
      new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
    {
      error: 'Enter a real date',
    },
  )
  .refine((value) => value >= '1000-01-01', { error: 'Enter a date after the year 1000' });

export const ZCreateTodoInput = z.object({
  title: z.string().trim().min(1, { error: 'What needs doing?' }).max(500),
  dueDate: ZDueDate.nullable().optional(),
  priority: z.enum(['low', 'normal', 'high']).default('normal'),
  labels: z.array(ZLabel).max(10, { error: 'At most 10 labels' }).default([]),
});
export type CreateTodoInput = z.input<typeof ZCreateTodoInput>;

export const ZListTodosInput = z.object({
  status: z.enum(['open', 'done', 'all']).default('open'),
  label: ZLabel.optional(),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(50),
});
export type ListTodosInput = z.input<typeof ZListTodosInput>;

export const ZTodoIdInput = z.object({ id: z.uuid() });

export interface TodoView {
  id: string;
  title: string;
  dueDate: string | null;
  priority: TodoPriority;
  labels: string[];
  status: 'open' | 'done';
  completedAt: Date | null;
  createdAt: Date;
}

const SELECT = [
  'id',
  'title',
  sql<string | null>`due_date::text`.as('due_date_text'),
  'priority',
  'labels',
  'status',
  'completed_at',
  'created_at',
  sql<string>`created_at::text`.as('created_at_text'),
] as const;

type Row = {
  id: string;
  title: string;
  due_date_text: string | null;
  priority: TodoPriority;
  labels: string[];
  status: 'open' | 'done';
  completed_at: Date | null;
  created_at: Date;
};

function view(row: Row): TodoView {
  return {
    id: row.id,
    title: row.title,
    dueDate: row.due_date_text,
    priority: row.priority,
    labels: row.labels,
    status: row.status,
    completedAt: row.completed_at,
    createdAt: row.created_at,
  };
}

/** `todos.create {title, dueDate?, priority, labels}`. */
export async function createTodo(
  deps: TodoDeps,
  session: Session,
  rawInput: CreateTodoInput,
): Promise<TodoView> {
  const input = validateInput(ZCreateTodoInput, rawInput);
  const row = await scoped(deps.db, session.orgId)
    .insertInto('todos', {
      owner_id: session.userId,
      title: input.title,
      due_date: input.dueDate ?? null,
      priority: input.priority,
      labels: [...new Set(input.labels)],
    })
    .returning(SELECT)
    .executeTakeFirstOrThrow();
  return view(row);
}

const listCursor = cursorCodec(z.tuple([ZTimestampText, z.uuid()]));

/** `todos.list {status, label, cursor}`: newest first, keyset on (created_at, id). */
export async function listTodos(
  deps: TodoDeps,
  session: Session,
  rawInput: ListTodosInput = {},
): Promise<{ items: TodoView[]; nextCursor: string | null }> {
  const { status, label, cursor, limit } = validateInput(ZListTodosInput, rawInput);
  let query = scoped(deps.db, session.orgId)
    .selectFrom('todos')
    .select(SELECT)
    .where('owner_id', '=', session.userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (status !== 'all') query = query.where('status', '=', status);
  if (label) query = query.where(sql<boolean>`todos.labels @> ARRAY[${label}]::text[]`);
  if (cursor) {
    const [at, id] = listCursor.decode(cursor);
    query = query.where(sql<boolean>`(todos.created_at, todos.id) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(view),
    nextCursor: rows.length > limit && last ? listCursor.encode([last.created_at_text, last.id]) : null,
  };
}

async function setStatus(
  deps: TodoDeps,
  session: Session,
  rawInput: unknown,
  status: 'open' | 'done',
): Promise<TodoView> {
  const { id } = validateInput(ZTodoIdInput, rawInput);
  const row = await scoped(deps.db, session.orgId)
    .updateTable('todos')
    .set({ status, completed_at: status === 'done' ? (deps.clock ?? systemClock).now() : null })
    .where('id', '=', id)
    .where('owner_id', '=', session.userId)
    .returning(SELECT)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Todo');
  return view(row);
}

/** `todos.complete {id}` (idempotent: completing a done todo keeps it done, with a new time). */
export function completeTodo(deps: TodoDeps, session: Session, rawInput: z.input<typeof ZTodoIdInput>) {
  return setStatus(deps, session, rawInput, 'done');
}

/** `todos.reopen {id}`. */
export function reopenTodo(deps: TodoDeps, session: Session, rawInput: z.input<typeof ZTodoIdInput>) {
  return setStatus(deps, session, rawInput, 'open');
}

/** `todos.delete {id}`. */
export async function deleteTodo(
  deps: TodoDeps,
  session: Session,
  rawInput: z.input<typeof ZTodoIdInput>,
): Promise<{ deleted: true }> {
  const { id } = validateInput(ZTodoIdInput, rawInput);
  const row = await scoped(deps.db, session.orgId)
    .deleteFrom('todos')
    .where('id', '=', id)
    .where('owner_id', '=', session.userId)
    .returning('id')
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Todo');
  return { deleted: true };
}
