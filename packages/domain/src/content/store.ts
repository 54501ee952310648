import type { Content, ContentMedia, Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import type { Session } from '../access/session.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import type { EventDefinition } from '../events/registry.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { findOrgBySlug } from '../tenancy/orgs.ts';
import { scoped } from '../tenancy/scoped.ts';
import { type CacheSlot, type ContentCache, noContentCache } from './cache.ts';
import { CONTENT_AGGREGATE, type ContentCreated } from './events.ts';

/** What the content use cases run on. */
export interface ContentDeps {
  db: Kysely<Database>;
  /** Redis cache-aside (none without Redis). */
  cache?: ContentCache;
  clock?: Clock;
}

export interface CategoryRef {
  id: string;
  name: string;
}

export interface MediaView {
  mediaType: 'audio' | 'video';
  source: 'upload' | 'external';
  provider: string;
  fileId: string | null;
  externalUrl: string | null;
  thumbnailUrl: string | null;
  updatedAt: Date;
}

export interface ContentView {
  id: string;
  orgId: string;
  authorId: string | null;
  authorName: string | null;
  title: string;
  description: string;
  language: string;
  durationSeconds: number | null;
  publicationDate: Date | null;
  status: 'draft' | 'published' | 'archived';
  /** Pass it back as `expectedVersion` when updating: a newer one means someone else changed it (409). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
  categories: CategoryRef[];
  media: MediaView | null;
}

type ContentCacheValue = Omit<ContentView, 'media'>;

export function cacheOf(deps: ContentDeps): ContentCache {
  return deps.cache ?? noContentCache;
}

export function clockOf(deps: ContentDeps): Clock {
  return deps.clock ?? systemClock;
}

export const contentSlot = (id: string): CacheSlot => ({ kind: 'content', id });
export const mediaSlot = (id: string): CacheSlot => ({ kind: 'media', id });

export function mediaView(row: ContentMedia): MediaView {
  return {
    mediaType: row.media_type,
    source: row.source,
    provider: row.provider,
    fileId: row.file_id,
    externalUrl: row.external_url,
    thumbnailUrl: row.thumbnail_url,
    updatedAt: row.updated_at,
  };
}

/**
 * The full views of these contents, straight from the database (one query per table, whatever the
 * number of ids). Ids of other orgs or unknown ids are absent from the map.
 */
export async function loadContentViews(
  db: Kysely<Database>,
  orgId: string | null,
  ids: readonly string[],
): Promise<Map<string, ContentView>> {
  const views = new Map<string, ContentView>();
  if (ids.length === 0) return views;
  let query = db
    .selectFrom('contents')
    .leftJoin('users', (join) =>
      join.onRef('users.id', '=', 'contents.author_id').onRef('users.org_id', '=', 'contents.org_id'),
    )
    .selectAll('contents')
    .select('users.name as author_name')
    .where('contents.id', 'in', [...ids]);
  if (orgId) query = query.where('contents.org_id', '=', orgId);
  const rows = await query.execute();
  if (rows.length === 0) return views;
  const found = rows.map((row) => row.id);
  const [categories, media] = await Promise.all([
    db
      .selectFrom('content_categories')
      .innerJoin('categories', 'categories.id', 'content_categories.category_id')
      .select(['content_categories.content_id', 'categories.id', 'categories.name'])
      .where('content_categories.content_id', 'in', found)
      .orderBy('categories.name')
      .execute(),
    db.selectFrom('content_media').selectAll().where('content_id', 'in', found).execute(),
  ]);
  const mediaById = new Map(media.map((row) => [row.content_id, mediaView(row)]));
  for (const row of rows) {
    views.set(row.id, {
      ...contentFields(row, row.author_name),
      categories: categories.filter((c) => c.content_id === row.id).map((c) => ({ id: c.id, name: c.name })),
      media: mediaById.get(row.id) ?? null,
    });
  }
  return views;
}

function contentFields(row: Content, authorName: string | null): Omit<ContentView, 'categories' | 'media'> {
  return {
    id: row.id,
    orgId: row.org_id,
    authorId: row.author_id,
    authorName,
    title: row.title,
    description: row.description,
    language: row.language,
    durationSeconds: row.duration_seconds,
    publicationDate: row.publication_date,
    status: row.status,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Cache-aside hydration (SPEC §4): one MGET for the `content:` and `media:` slots of every id, the
 * database for the ids missing either slot (or holding two different versions), then a fill of what
 * the database returned. The answer keeps the ids' order and drops ids that no longer exist.
 */
export async function readContents(deps: ContentDeps, ids: readonly string[]): Promise<ContentView[]> {
  const cache = cacheOf(deps);
  const unique = [...new Set(ids)];
  const slots = unique.flatMap((id) => [contentSlot(id), mediaSlot(id)]);
  const cached = await cache.getMany(slots);
  const hits = new Map<string, ContentView>();
  const missing: string[] = [];
  unique.forEach((id, index) => {
    const content = cached[index * 2];
    const media = cached[index * 2 + 1];
    if (content && media && content.version === media.version) {
      hits.set(id, { ...(content.value as ContentCacheValue), media: media.value as MediaView | null });
    } else {
      missing.push(id);
    }
  });
  if (missing.length > 0) {
    const loaded = await loadContentViews(deps.db, null, missing);
    await Promise.all(
      [...loaded.values()].map((view) => {
        hits.set(view.id, view);
        return fillCache(cache, view);
      }),
    );
  }
  return ids.flatMap((id) => {
    const view = hits.get(id);
    return view ? [view] : [];
  });
}

async function fillCache(cache: ContentCache, view: ContentView): Promise<void> {
  if (cache.kind === 'none') return;
  const { media, ...content } = view;
  await Promise.all([
    cache.fill(contentSlot(view.id), { version: view.version, value: content }),
    cache.fill(mediaSlot(view.id), { version: view.version, value: media }),
  ]);
}

/**
 * After a write's commit: a marker "nothing older than this version" on both slots, then the new
 * view (the write already read it), so the next read is a hit. Deleted contents leave only the marker.
 */
export async function refreshCache(
  deps: ContentDeps,
  id: string,
  version: number,
  view: ContentView | null,
): Promise<void> {
  const cache = cacheOf(deps);
  if (cache.kind === 'none') return;
  await cache.invalidate([contentSlot(id), mediaSlot(id)], version);
  if (view) await fillCache(cache, view);
}

// ── Who sees and changes what ─────────────────────────────────────────────────────────────────────

/**
 * Staff hold `content.review` (editors, admins): they see and change every content of their org.
 * Creators hold `content.write` only: they change their own contents and see the published ones.
 */
export function isContentStaff(session: Session): boolean {
  return session.permissions.has('content.review');
}

export interface Viewer {
  orgId: string;
  /** Null for an anonymous visitor of an org's public library. */
  session: Session | null;
}

export function canSee(view: ContentView, viewer: Viewer): boolean {
  if (view.orgId !== viewer.orgId) return false;
  if (view.status === 'published') return true;
  const session = viewer.session;
  if (!session || session.orgId !== viewer.orgId) return false;
  return isContentStaff(session) || (view.authorId !== null && view.authorId === session.userId);
}

/** Someone else's content is not found for a creator (404, never 403: SPEC §1). */
export function assertMayChange(session: Session, row: { author_id: string | null }): void {
  if (isContentStaff(session)) return;
  if (!session.permissions.has('content.write') || row.author_id !== session.userId) {
    throw new NotFoundError('Content');
  }
}

// Slugs never change once an org exists, so a public reader's org is looked up once a minute.
const orgIdsBySlug = new Map<string, { orgId: string | null; until: number }>();
const SLUG_TTL_MS = 60_000;

/**
 * Whose library a read is about: the org named by `orgSlug` (public reads: published content only,
 * unless the caller belongs to that org), else the caller's org. Unknown slug → 404.
 */
export async function resolveViewer(
  deps: ContentDeps,
  session: Session | null,
  orgSlug: string | undefined,
): Promise<Viewer> {
  if (orgSlug === undefined) {
    if (!session) throw new NotFoundError('Library');
    return { orgId: session.orgId, session };
  }
  const now = Date.now();
  let entry = orgIdsBySlug.get(orgSlug);
  if (!entry || entry.until < now) {
    const org = await findOrgBySlug(deps.db, orgSlug);
    entry = { orgId: org?.id ?? null, until: now + SLUG_TTL_MS };
    if (orgIdsBySlug.size > 10_000) orgIdsBySlug.clear();
    orgIdsBySlug.set(orgSlug, entry);
  }
  if (!entry.orgId) throw new NotFoundError('Library');
  return { orgId: entry.orgId, session: session && session.orgId === entry.orgId ? session : null };
}

/** Locks one content row of the org for a write (another org's id: 404). */
export async function lockContent(db: Kysely<Database>, orgId: string, id: string): Promise<Content> {
  const row = await scoped(db, orgId)
    .selectFrom('contents')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Content');
  return row;
}

/** Writes the event of a content change in the caller's transaction. */
export async function writeContentEvent(
  trx: Transaction<Database>,
  orgId: string,
  type: EventDefinition<string, typeof ContentCreated.payload>,
  contentId: string,
  version: number,
): Promise<void> {
  await writeOutboxEvent(trx, {
    orgId,
    type,
    aggregateType: CONTENT_AGGREGATE,
    aggregateId: contentId,
    payload: { contentId, version },
  });
}

/** Bumps the version of a locked content, refusing a lost update (409 with the current version). */
export async function bumpVersion(
  trx: Transaction<Database>,
  row: Content,
  expectedVersion: number | undefined,
  changes: Partial<
    Pick<Content, 'title' | 'description' | 'language' | 'duration_seconds' | 'publication_date' | 'status'>
  >,
  now: Date,
): Promise<number> {
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new ConflictError('Someone else changed this content in the meantime; reload it and try again', {
      reason: 'STALE_VERSION',
      currentVersion: row.version,
    });
  }
  const next = row.version + 1;
  await scoped(trx, row.org_id)
    .updateTable('contents')
    .set({ ...changes, version: next, updated_at: now })
    .where('id', '=', row.id)
    .execute();
  return next;
}
