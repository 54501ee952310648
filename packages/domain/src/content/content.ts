import type { Database } from '@atrium/db';
import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError, UnprocessableError } from '../errors.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField, ZDate } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import {
  ContentCreated,
  ContentDeleted,
  ContentPublished,
  ContentUnpublished,
  ContentUpdated,
} from './events.ts';
import { writeMedia, ZMediaFields } from './media.ts';
import {
  assertMayChange,
  bumpVersion,
  type ContentDeps,
  type ContentView,
  canSee,
  clockOf,
  isContentStaff,
  loadContentViews,
  lockContent,
  type MediaView,
  readContents,
  refreshCache,
  resolveViewer,
  writeContentEvent,
} from './store.ts';

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────────

const ZTitle = z
  .string()
  .trim()
  .min(1, { message: 'Give it a title' })
  .max(255, { message: 'At most 255 characters' });
const ZDescription = z.string().trim().max(5_000, { message: 'At most 5,000 characters' });
/** BCP-47 as people write it: `en`, `pt-BR`, `zh-Hant-TW`. */
export const ZLanguage = z
  .string()
  .trim()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'Use a language tag such as en or pt-BR' });
const ZDuration = z.number().int().min(0).max(1_000_000);
const ZCategoryIds = z.array(z.uuid()).max(20, { message: 'At most 20 categories' });
export const ZOrgSlug = z.string().trim().min(1).max(63);
export const CONTENT_STATUSES = ['draft', 'published', 'archived'] as const;

export const ZCreateContentInput = z.object({
  title: ZTitle,
  description: ZDescription.default(''),
  language: ZLanguage,
  durationSeconds: ZDuration.nullable().optional(),
  publicationDate: ZDate.nullable().optional(),
  categoryIds: ZCategoryIds.default([]),
  media: ZMediaFields.optional(),
});
export type CreateContentInput = z.input<typeof ZCreateContentInput>;

export const ZUpdateContentInput = z.object({
  id: z.uuid(),
  /** The version the editor started from; another write since then → 409. */
  expectedVersion: z.number().int().min(1).max(2_147_483_647),
  title: ZTitle.optional(),
  description: ZDescription.optional(),
  language: ZLanguage.optional(),
  durationSeconds: ZDuration.nullable().optional(),
  publicationDate: ZDate.nullable().optional(),
  categoryIds: ZCategoryIds.optional(),
});
export type UpdateContentInput = z.input<typeof ZUpdateContentInput>;

export const ZContentIdInput = z.object({ id: z.uuid() });
export const ZGetContentInput = z.object({ id: z.uuid(), orgSlug: ZOrgSlug.optional() });
export type GetContentInput = z.input<typeof ZGetContentInput>;

export const ZListContentInput = z.object({
  orgSlug: ZOrgSlug.optional(),
  status: z.enum(CONTENT_STATUSES).optional(),
  categoryId: z.uuid().optional(),
  authorId: z.uuid().optional(),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type ListContentInput = z.input<typeof ZListContentInput>;

// ── Writes ────────────────────────────────────────────────────────────────────────────────────────

async function setCategories(
  trx: Transaction<Database>,
  orgId: string,
  contentId: string,
  categoryIds: readonly string[],
): Promise<void> {
  const unique = [...new Set(categoryIds)];
  if (unique.length > 0) {
    const known = await scoped(trx, orgId)
      .selectFrom('categories')
      .select('id')
      .where('id', 'in', unique)
      .execute();
    if (known.length !== unique.length) {
      throw new UnprocessableError('One of the chosen categories no longer exists', {
        reason: 'UNKNOWN_CATEGORY',
      });
    }
  }
  await scoped(trx, orgId).deleteFrom('content_categories').where('content_id', '=', contentId).execute();
  if (unique.length > 0) {
    await scoped(trx, orgId)
      .insertInto(
        'content_categories',
        unique.map((categoryId) => ({ content_id: contentId, category_id: categoryId })),
      )
      .execute();
  }
}

async function viewIn(trx: Transaction<Database>, orgId: string, id: string): Promise<ContentView> {
  const view = (await loadContentViews(trx, orgId, [id])).get(id);
  if (!view) throw new NotFoundError('Content');
  return view;
}

/**
 * `content.create`: a draft authored by the caller (creators and staff, `content.write`), with its
 * categories and, optionally, its media. Row + ContentCreated in one transaction.
 */
export async function createContent(
  deps: ContentDeps,
  session: Session,
  rawInput: CreateContentInput,
  options: { trx?: Transaction<Database> } = {},
): Promise<ContentView> {
  const input = validateInput(ZCreateContentInput, rawInput);
  const now = clockOf(deps).now();
  const work = async (trx: Transaction<Database>) => {
    const row = await scoped(trx, session.orgId)
      .insertInto('contents', {
        author_id: session.userId,
        title: input.title,
        description: input.description,
        language: input.language,
        duration_seconds: input.durationSeconds ?? null,
        publication_date: input.publicationDate ?? null,
        created_at: now,
        updated_at: now,
      })
      .returning(['id', 'version'])
      .executeTakeFirstOrThrow();
    await setCategories(trx, session.orgId, row.id, input.categoryIds);
    if (input.media) await writeMedia(trx, session.orgId, row.id, input.media, now);
    await writeContentEvent(trx, session.orgId, ContentCreated, row.id, row.version);
    return viewIn(trx, session.orgId, row.id);
  };
  const view = options.trx ? await work(options.trx) : await deps.db.transaction().execute(work);
  if (!options.trx) await refreshCache(deps, view.id, view.version, view);
  return view;
}

/** `content.update`: fields and categories, with optimistic concurrency (`expectedVersion` → 409). */
export async function updateContent(
  deps: ContentDeps,
  session: Session,
  rawInput: UpdateContentInput,
): Promise<ContentView> {
  const input = validateInput(ZUpdateContentInput, rawInput);
  const now = clockOf(deps).now();
  const view = await deps.db.transaction().execute(async (trx) => {
    const row = await lockContent(trx, session.orgId, input.id);
    assertMayChange(session, row);
    const version = await bumpVersion(
      trx,
      row,
      input.expectedVersion,
      {
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.language !== undefined ? { language: input.language } : {}),
        ...(input.durationSeconds !== undefined ? { duration_seconds: input.durationSeconds } : {}),
        ...(input.publicationDate !== undefined ? { publication_date: input.publicationDate } : {}),
      },
      now,
    );
    if (input.categoryIds) await setCategories(trx, session.orgId, row.id, input.categoryIds);
    await writeContentEvent(trx, session.orgId, ContentUpdated, row.id, version);
    return viewIn(trx, session.orgId, row.id);
  });
  await refreshCache(deps, view.id, view.version, view);
  return view;
}

/**
 * `content.publish` (`content.publish`): visible to the public library and indexed. Needs media (the
 * library shows every item with its player); keeps a publication date already set, else today.
 * Publishing a published content is a no-op. Audited.
 */
export function publishContent(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZContentIdInput>,
): Promise<ContentView> {
  return setPublished(deps, session, rawInput, true);
}

/** `content.unpublish` (`content.publish`): back to draft, gone from the public library. Audited. */
export function unpublishContent(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZContentIdInput>,
): Promise<ContentView> {
  return setPublished(deps, session, rawInput, false);
}

/** Publish or unpublish: one version bump, its event and audit entry, then the cache refreshed. */
async function setPublished(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZContentIdInput>,
  publish: boolean,
): Promise<ContentView> {
  const { id } = validateInput(ZContentIdInput, rawInput);
  const clock = clockOf(deps);
  const now = clock.now();
  const view = await deps.db.transaction().execute(async (trx) => {
    const row = await lockContent(trx, session.orgId, id);
    if ((row.status === 'published') === publish) return viewIn(trx, session.orgId, id);
    if (publish) {
      const media = await scoped(trx, session.orgId)
        .selectFrom('content_media')
        .select('content_id')
        .where('content_id', '=', id)
        .executeTakeFirst();
      if (!media) {
        throw new UnprocessableError('Add a video or an audio track before publishing', {
          reason: 'NO_MEDIA',
        });
      }
    }
    const change = publish
      ? { status: 'published' as const, publication_date: row.publication_date ?? now }
      : { status: 'draft' as const };
    const version = await bumpVersion(trx, row, undefined, change, now);
    await writeContentEvent(trx, session.orgId, publish ? ContentPublished : ContentUnpublished, id, version);
    const changed = await viewIn(trx, session.orgId, id);
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: publish ? 'content.published' : 'content.unpublished',
        resourceType: 'content',
        resourceId: id,
        payload: { title: row.title, version },
      },
      { clock },
    );
    return changed;
  });
  await refreshCache(deps, view.id, view.version, view);
  return view;
}

/** `content.delete`: staff any, creators their own (404 otherwise). Audited. */
export async function deleteContent(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZContentIdInput>,
): Promise<{ id: string; deleted: true }> {
  const { id } = validateInput(ZContentIdInput, rawInput);
  const clock = clockOf(deps);
  const version = await deps.db.transaction().execute(async (trx) => {
    const row = await lockContent(trx, session.orgId, id);
    assertMayChange(session, row);
    await scoped(trx, session.orgId).deleteFrom('contents').where('id', '=', id).execute();
    // The version a deleted content would have had next: the marker older reads cannot replace.
    const gone = row.version + 1;
    await writeContentEvent(trx, session.orgId, ContentDeleted, id, gone);
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'content.deleted',
        resourceType: 'content',
        resourceId: id,
        payload: { title: row.title, status: row.status },
      },
      { clock },
    );
    return gone;
  });
  await refreshCache(deps, id, version, null);
  return { id, deleted: true };
}

// ── Reads ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * `content.get {id, orgSlug?}`: cache-first. Published content is public (orgSlug, no sign-in);
 * drafts only for staff of the org and their author. Anything else: 404.
 */
export async function getContent(
  deps: ContentDeps,
  session: Session | null,
  rawInput: GetContentInput,
): Promise<ContentView> {
  const input = validateInput(ZGetContentInput, rawInput);
  const viewer = await resolveViewer(deps, session, input.orgSlug);
  const [view] = await readContents(deps, [input.id]);
  if (!view || !canSee(view, viewer)) throw new NotFoundError('Content');
  return view;
}

/**
 * `content.list {orgSlug?, status, categoryId, authorId, cursor, limit}`: newest change first, keyset on
 * (updated_at, id). Visitors and other members see published content; staff see every status;
 * creators also see their own drafts.
 */
export async function listContent(
  deps: ContentDeps,
  session: Session | null,
  rawInput: ListContentInput = {},
): Promise<{ items: ContentView[]; nextCursor: string | null }> {
  const input = validateInput(ZListContentInput, rawInput);
  const viewer = await resolveViewer(deps, session, input.orgSlug);
  let query = scoped(deps.db, viewer.orgId)
    .selectFrom('contents')
    .select(['contents.id', sql<string>`contents.updated_at::text`.as('updated_at_text')])
    .orderBy('contents.updated_at', 'desc')
    .orderBy('contents.id', 'desc')
    .limit(input.limit + 1);
  const member = viewer.session;
  if (!member || !isContentStaff(member)) {
    const self = member?.userId ?? null;
    query = query.where((eb) =>
      self
        ? eb.or([eb('contents.status', '=', 'published'), eb('contents.author_id', '=', self)])
        : eb('contents.status', '=', 'published'),
    );
  }
  if (input.status) query = query.where('contents.status', '=', input.status);
  if (input.authorId) query = query.where('contents.author_id', '=', input.authorId);
  if (input.categoryId) {
    const categoryId = input.categoryId;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('content_categories')
          .select('content_categories.content_id')
          .whereRef('content_categories.content_id', '=', 'contents.id')
          .where('content_categories.category_id', '=', categoryId),
      ),
    );
  }
  if (input.cursor) {
    const after = decodeTimeIdCursor(input.cursor);
    query = query.where(
      sql<boolean>`(contents.updated_at, contents.id) < (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, input.limit);
  const views = await loadContentViews(
    deps.db,
    viewer.orgId,
    page.map((row) => row.id),
  );
  const last = page.at(-1);
  return {
    items: page.flatMap((row) => {
      const view = views.get(row.id);
      return view ? [view] : [];
    }),
    nextCursor: rows.length > input.limit && last ? encodeTimeIdCursor(last.updated_at_text, last.id) : null,
  };
}

export const ZGetMediaInput = z.object({ contentId: z.uuid(), orgSlug: ZOrgSlug.optional() });

/** `media.get {contentId, orgSlug?}`: the media of a content the caller may see (null when it has none). */
export async function getMedia(
  deps: ContentDeps,
  session: Session | null,
  rawInput: z.input<typeof ZGetMediaInput>,
): Promise<MediaView | null> {
  const input = validateInput(ZGetMediaInput, rawInput);
  const view = await getContent(deps, session, {
    id: input.contentId,
    ...(input.orgSlug ? { orgSlug: input.orgSlug } : {}),
  });
  return view.media;
}
