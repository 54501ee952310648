import { sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { ZOrgSlug } from './content.ts';
import { ContentUpdated } from './events.ts';
import {
  type CategoryRef,
  type ContentDeps,
  clockOf,
  loadContentViews,
  refreshCache,
  resolveViewer,
  writeContentEvent,
} from './store.ts';

const ZName = z
  .string()
  .trim()
  .min(1, { message: 'Give the category a name' })
  .max(100, { message: 'At most 100 characters' });

export const ZListCategoriesInput = z.object({ orgSlug: ZOrgSlug.optional() });
export const ZCreateCategoryInput = z.object({ name: ZName });
export const ZRenameCategoryInput = z.object({ id: z.uuid(), name: ZName });
export const ZCategoryIdInput = z.object({ id: z.uuid() });

/** Contents carrying one category change with it (search indexes category names): at most this many. */
export const MAX_CONTENTS_PER_CATEGORY_CHANGE = 10_000;

const DUPLICATE = 'A category with this name already exists';

export interface CategoryView extends CategoryRef {
  contents: number;
}

/** `categories.list {orgSlug?}`: every category of the library (public with orgSlug), by name. */
export async function listCategories(
  deps: ContentDeps,
  session: Session | null,
  rawInput: z.input<typeof ZListCategoriesInput> = {},
): Promise<CategoryView[]> {
  const input = validateInput(ZListCategoriesInput, rawInput);
  const viewer = await resolveViewer(deps, session, input.orgSlug);
  const rows = await scoped(deps.db, viewer.orgId)
    .selectFrom('categories')
    .select([
      'categories.id',
      'categories.name',
      (eb) =>
        eb
          .selectFrom('content_categories')
          .select(sql<number>`count(*)::int`.as('n'))
          .whereRef('content_categories.category_id', '=', 'categories.id')
          .as('contents'),
    ])
    .orderBy(sql`lower(categories.name)`)
    .limit(1_000)
    .execute();
  return rows.map((row) => ({ id: row.id, name: row.name, contents: row.contents ?? 0 }));
}

/** `categories.create {name}` (staff): names are unique per org, whatever their case (409). */
export async function createCategory(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZCreateCategoryInput>,
): Promise<CategoryView> {
  const { name } = validateInput(ZCreateCategoryInput, rawInput);
  try {
    const row = await scoped(deps.db, session.orgId)
      .insertInto('categories', { name })
      .returning(['id', 'name'])
      .executeTakeFirstOrThrow();
    return { ...row, contents: 0 };
  } catch (error) {
    if (isUniqueViolation(error, 'categories_org_name_idx')) throw new ConflictError(DUPLICATE);
    throw error;
  }
}

/**
 * Renaming or deleting a category changes every content carrying it (their search documents list
 * category names): each gets a new version and a ContentUpdated event, in the same transaction.
 */
async function changeCategory(
  deps: ContentDeps,
  session: Session,
  id: string,
  apply: 'rename' | 'delete',
  name?: string,
): Promise<CategoryView | null> {
  const now = clockOf(deps).now();
  const touched: Array<{ id: string; version: number }> = [];
  let result: CategoryView | null = null;
  try {
    await deps.db.transaction().execute(async (trx) => {
      const category = await scoped(trx, session.orgId)
        .selectFrom('categories')
        .select(['id', 'name'])
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!category) throw new NotFoundError('Category');
      const contents = await scoped(trx, session.orgId)
        .updateTable('contents')
        .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
        .where('id', 'in', (eb) =>
          eb.selectFrom('content_categories').select('content_id').where('category_id', '=', id),
        )
        .returning(['id', 'version'])
        .execute();
      if (contents.length > MAX_CONTENTS_PER_CATEGORY_CHANGE) {
        throw new ConflictError('This category holds too many contents to change at once');
      }
      if (apply === 'rename' && name !== undefined) {
        await scoped(trx, session.orgId)
          .updateTable('categories')
          .set({ name })
          .where('id', '=', id)
          .execute();
        result = { id, name, contents: contents.length };
      } else {
        await scoped(trx, session.orgId).deleteFrom('categories').where('id', '=', id).execute();
      }
      for (const content of contents) {
        await writeContentEvent(trx, session.orgId, ContentUpdated, content.id, content.version);
        touched.push(content);
      }
    });
  } catch (error) {
    if (isUniqueViolation(error, 'categories_org_name_idx')) throw new ConflictError(DUPLICATE);
    throw error;
  }
  if (touched.length > 0) {
    const views = await loadContentViews(
      deps.db,
      session.orgId,
      touched.map((c) => c.id),
    );
    await Promise.all(touched.map((c) => refreshCache(deps, c.id, c.version, views.get(c.id) ?? null)));
  }
  return result;
}

/** `categories.rename {id, name}` (staff). */
export async function renameCategory(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZRenameCategoryInput>,
): Promise<CategoryView> {
  const input = validateInput(ZRenameCategoryInput, rawInput);
  const renamed = await changeCategory(deps, session, input.id, 'rename', input.name);
  if (!renamed) throw new NotFoundError('Category');
  return renamed;
}

/** `categories.delete {id}` (staff): its contents stay, without it. */
export async function deleteCategory(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZCategoryIdInput>,
): Promise<{ id: string; deleted: true }> {
  const { id } = validateInput(ZCategoryIdInput, rawInput);
  await changeCategory(deps, session, id, 'delete');
  return { id, deleted: true };
}
