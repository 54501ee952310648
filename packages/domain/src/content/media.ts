import type { Database } from '@atrium/db';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors.ts';
import { parseImportUrl, unsupportedUrl } from '../imports/import-url.ts';
import { findMediaProvider } from '../imports/registry.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import { ContentUpdated } from './events.ts';
import {
  assertMayChange,
  bumpVersion,
  type ContentDeps,
  type ContentView,
  clockOf,
  loadContentViews,
  lockContent,
  type MediaView,
  refreshCache,
  writeContentEvent,
} from './store.ts';

const ZHttpUrl = z
  .string()
  .trim()
  .max(2_048)
  .pipe(z.url({ protocol: /^https?$/, message: 'Enter a full http(s) link' }));

/**
 * The media of a content (SPEC §4 content_media). Only external media for now: a YouTube, Vimeo or
 * SoundCloud address, whose provider the import registry recognises (another address: 422
 * UNSUPPORTED_URL). Uploaded media (`source: upload`, provider `team`) arrive with the files module.
 */
export const ZMediaFields = z.object({
  mediaType: z.enum(['audio', 'video']),
  externalUrl: ZHttpUrl,
  thumbnailUrl: ZHttpUrl.nullable().optional(),
});
export type MediaFields = z.input<typeof ZMediaFields>;

export const ZSetMediaInput = ZMediaFields.extend({
  contentId: z.uuid(),
  expectedVersion: z.number().int().min(1).max(2_147_483_647).optional(),
});
export const ZMediaContentInput = z.object({ contentId: z.uuid() });

export const DUPLICATE_MEDIA = 'DUPLICATE_MEDIA';

/** Inserts or replaces the media row of a content in the caller's transaction. */
export async function writeMedia(
  trx: Transaction<Database>,
  orgId: string,
  contentId: string,
  fields: z.output<typeof ZMediaFields> & { provider?: string },
  now: Date,
): Promise<void> {
  const provider = fields.provider ?? findMediaProvider(parseImportUrl(fields.externalUrl))?.name;
  if (!provider) throw unsupportedUrl('This address is not a YouTube, Vimeo or SoundCloud video or track');
  const values = {
    media_type: fields.mediaType,
    source: 'external' as const,
    provider,
    file_id: null,
    external_url: fields.externalUrl,
    thumbnail_url: fields.thumbnailUrl ?? null,
    updated_at: now,
  };
  try {
    await trx
      .insertInto('content_media')
      .values({ ...values, org_id: orgId, content_id: contentId })
      .onConflict((oc) => oc.column('content_id').doUpdateSet(values))
      .execute();
  } catch (error) {
    if (isUniqueViolation(error, 'content_media_external_url_idx')) {
      throw new ConflictError('This address is already in your library', { reason: DUPLICATE_MEDIA });
    }
    throw error;
  }
}

/** The content of the org that already holds this external address, if any. */
export async function findContentByExternalUrl(
  db: Kysely<Database>,
  orgId: string,
  externalUrl: string,
): Promise<string | null> {
  const row = await scoped(db, orgId)
    .selectFrom('content_media')
    .select('content_id')
    .where('external_url', '=', externalUrl)
    .executeTakeFirst();
  return row?.content_id ?? null;
}

async function duplicateConflict(
  deps: ContentDeps,
  orgId: string,
  externalUrl: string,
): Promise<ConflictError> {
  const existing = await findContentByExternalUrl(deps.db, orgId, externalUrl);
  return new ConflictError('This address is already in your library', {
    reason: DUPLICATE_MEDIA,
    ...(existing ? { contentId: existing } : {}),
  });
}

/** `media.set {contentId, mediaType, externalUrl, thumbnailUrl?, expectedVersion?}`. */
export async function setMedia(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZSetMediaInput>,
): Promise<MediaView> {
  const input = validateInput(ZSetMediaInput, rawInput);
  const now = clockOf(deps).now();
  let view: ContentView;
  try {
    view = await deps.db.transaction().execute(async (trx) => {
      const row = await lockContent(trx, session.orgId, input.contentId);
      assertMayChange(session, row);
      await writeMedia(trx, session.orgId, row.id, input, now);
      const version = await bumpVersion(trx, row, input.expectedVersion, {}, now);
      await writeContentEvent(trx, session.orgId, ContentUpdated, row.id, version);
      const loaded = (await loadContentViews(trx, session.orgId, [row.id])).get(row.id);
      if (!loaded) throw new NotFoundError('Content');
      return loaded;
    });
  } catch (error) {
    if (error instanceof ConflictError && error.details?.reason === DUPLICATE_MEDIA) {
      throw await duplicateConflict(deps, session.orgId, input.externalUrl);
    }
    throw error;
  }
  await refreshCache(deps, view.id, view.version, view);
  if (!view.media) throw new NotFoundError('Media');
  return view.media;
}

/** `media.delete {contentId}`: a published content keeps its media (unpublish it first: 422). */
export async function deleteMedia(
  deps: ContentDeps,
  session: Session,
  rawInput: z.input<typeof ZMediaContentInput>,
): Promise<{ contentId: string; deleted: boolean }> {
  const { contentId } = validateInput(ZMediaContentInput, rawInput);
  const now = clockOf(deps).now();
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await lockContent(trx, session.orgId, contentId);
    assertMayChange(session, row);
    if (row.status === 'published') {
      throw new UnprocessableError('Unpublish this content before removing its media', {
        reason: 'PUBLISHED',
      });
    }
    const removed = await scoped(trx, session.orgId)
      .deleteFrom('content_media')
      .where('content_id', '=', contentId)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) return null;
    const version = await bumpVersion(trx, row, undefined, {}, now);
    await writeContentEvent(trx, session.orgId, ContentUpdated, contentId, version);
    return (await loadContentViews(trx, session.orgId, [contentId])).get(contentId) ?? null;
  });
  if (result) await refreshCache(deps, contentId, result.version, result);
  return { contentId, deleted: result !== null };
}
