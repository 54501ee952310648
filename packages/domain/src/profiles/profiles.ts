import type { Database, ProfileVisibility } from '@atrium/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { NotFoundError, UnprocessableError } from '../errors.ts';
import { assertServable, signedGet } from '../files/files.ts';
import type { ObjectStorage } from '../platform/object-storage.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';

/**
 * Profiles (SPEC §5): one per user, made on first save; until then a user's profile is their name.
 * `org` profiles are seen by every member of the org, `private` ones by their owner only (anyone else
 * gets 404). The avatar and the track are the owner's own files (an image, an audio file), served
 * through short-lived signed URLs.
 */

export interface ProfileDeps {
  db: Kysely<Database>;
  /** Without storage, profiles work without avatar and track links. */
  storage?: ObjectStorage;
}

const ZHttpUrl = z
  .string()
  .trim()
  .max(2_000)
  .pipe(z.url({ protocol: /^https?$/, error: 'Enter a full http(s) link' }));

export const ZUpsertProfileInput = z.object({
  displayName: z.string().trim().min(1, { error: 'Enter the name people see' }).max(100),
  bio: z.string().trim().max(2_000).default(''),
  links: z
    .array(z.object({ label: z.string().trim().min(1).max(50), url: ZHttpUrl }))
    .max(10, { error: 'At most 10 links' })
    .default([]),
  visibility: z.enum(['org', 'private']).default('org'),
});
export type UpsertProfileInput = z.input<typeof ZUpsertProfileInput>;

export const ZSetFileInput = z.object({ fileId: z.uuid().nullable() });
export const ZPublicProfileInput = z.object({ userId: z.uuid() });
export const ZAvatarsInput = z.object({ userIds: z.array(z.uuid()).min(1).max(100) });

/** Avatar and track links live this long; clients ask again when they need a fresh one. */
const MEDIA_URL_SECONDS = 300;

export interface PublicProfile {
  userId: string;
  displayName: string;
  bio: string;
  links: Array<{ label: string; url: string }>;
  avatarUrl: string | null;
  trackUrl: string | null;
}

export interface MyProfile extends PublicProfile {
  visibility: ProfileVisibility;
  avatarFileId: string | null;
  trackFileId: string | null;
}

type Row = {
  user_id: string;
  user_name: string;
  display_name: string | null;
  bio: string | null;
  links: Array<{ label: string; url: string }> | null;
  visibility: ProfileVisibility | null;
  avatar_file_id: string | null;
  track_file_id: string | null;
};

async function loadRows(db: Kysely<Database>, orgId: string, userIds: string[]): Promise<Row[]> {
  return scoped(db, orgId)
    .selectFrom('users')
    .leftJoin('profiles', (join) =>
      join.onRef('profiles.user_id', '=', 'users.id').onRef('profiles.org_id', '=', 'users.org_id'),
    )
    .select([
      'users.id as user_id',
      'users.name as user_name',
      'profiles.display_name',
      'profiles.bio',
      'profiles.links',
      'profiles.visibility',
      'profiles.avatar_file_id',
      'profiles.track_file_id',
    ])
    .where('users.id', 'in', userIds)
    .execute();
}

async function fileUrl(deps: ProfileDeps, orgId: string, fileId: string | null): Promise<string | null> {
  if (!fileId || !deps.storage) return null;
  const file = await scoped(deps.db, orgId)
    .selectFrom('files')
    .select(['storage_key', 'name', 'content_type', 'status', 'scan_status'])
    .where('id', '=', fileId)
    .executeTakeFirst();
  if (file?.status !== 'available' || file.scan_status !== 'clean') return null;
  return (await signedGet(deps.storage, file, MEDIA_URL_SECONDS)).url;
}

async function toMine(deps: ProfileDeps, orgId: string, row: Row): Promise<MyProfile> {
  return {
    userId: row.user_id,
    displayName: row.display_name ?? row.user_name,
    bio: row.bio ?? '',
    links: row.links ?? [],
    visibility: row.visibility ?? 'org',
    avatarFileId: row.avatar_file_id,
    trackFileId: row.track_file_id,
    avatarUrl: await fileUrl(deps, orgId, row.avatar_file_id),
    trackUrl: await fileUrl(deps, orgId, row.track_file_id),
  };
}

/** `profiles.me`. */
export async function getMyProfile(deps: ProfileDeps, session: Session): Promise<MyProfile> {
  const [row] = await loadRows(deps.db, session.orgId, [session.userId]);
  if (!row) throw new NotFoundError('User');
  return toMine(deps, session.orgId, row);
}

/** `profiles.upsertMe {displayName, bio, links, visibility}`. */
export async function upsertMyProfile(
  deps: ProfileDeps,
  session: Session,
  rawInput: UpsertProfileInput,
): Promise<MyProfile> {
  const input = validateInput(ZUpsertProfileInput, rawInput);
  const links = JSON.stringify(input.links);
  await scoped(deps.db, session.orgId)
    .insertInto('profiles', {
      user_id: session.userId,
      display_name: input.displayName,
      bio: input.bio,
      links,
      visibility: input.visibility,
    })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        display_name: input.displayName,
        bio: input.bio,
        links,
        visibility: input.visibility,
        updated_at: new Date(),
      }),
    )
    .execute();
  return getMyProfile(deps, session);
}

/**
 * `profiles.setAvatar {fileId}` / `profiles.setTrack {fileId}`: the caller's own, uploaded, clean file
 * of the right kind (a raster image; audio); another's file → 404, wrong kind → 422. `null` clears it.
 */
export async function setProfileFile(
  deps: ProfileDeps,
  session: Session,
  which: 'avatar' | 'track',
  rawInput: z.input<typeof ZSetFileInput>,
): Promise<MyProfile> {
  const { fileId } = validateInput(ZSetFileInput, rawInput);
  if (fileId) {
    const file = await scoped(deps.db, session.orgId)
      .selectFrom('files')
      .select(['content_type', 'status', 'scan_status'])
      .where('id', '=', fileId)
      .where('owner_id', '=', session.userId)
      .executeTakeFirst();
    if (!file) throw new NotFoundError('File');
    assertServable(file);
    const type = (file.content_type ?? '').split(';')[0]?.trim() ?? '';
    if (which === 'avatar' && !(type.startsWith('image/') && type !== 'image/svg+xml'))
      throw new UnprocessableError('An avatar must be an image (PNG, JPEG, GIF or WebP)');
    if (which === 'track' && !type.startsWith('audio/'))
      throw new UnprocessableError('A track must be an audio file');
  }
  const column = which === 'avatar' ? 'avatar_file_id' : 'track_file_id';
  const [current] = await loadRows(deps.db, session.orgId, [session.userId]);
  if (!current) throw new NotFoundError('User');
  await scoped(deps.db, session.orgId)
    .insertInto('profiles', {
      user_id: session.userId,
      display_name: current.display_name ?? current.user_name,
      [column]: fileId,
    })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ [column]: fileId, updated_at: new Date() }))
    .execute();
  return getMyProfile(deps, session);
}

/** `profiles.public {userId}`: public fields only; a private profile (not the caller's) or another org's user → 404. */
export async function getPublicProfile(
  deps: ProfileDeps,
  session: Session,
  rawInput: z.input<typeof ZPublicProfileInput>,
): Promise<PublicProfile> {
  const { userId } = validateInput(ZPublicProfileInput, rawInput);
  const [row] = await loadRows(deps.db, session.orgId, [userId]);
  if (!row || (row.visibility === 'private' && userId !== session.userId)) throw new NotFoundError('Profile');
  const mine = await toMine(deps, session.orgId, row);
  return {
    userId: mine.userId,
    displayName: mine.displayName,
    bio: mine.bio,
    links: mine.links,
    avatarUrl: mine.avatarUrl,
    trackUrl: mine.trackUrl,
  };
}

/**
 * `profiles.avatars {userIds}`: display names and avatar links of up to 100 members at once, for
 * lists across the app. Private profiles (other than the caller's) show the account name, no avatar.
 */
export async function getAvatars(
  deps: ProfileDeps,
  session: Session,
  rawInput: z.input<typeof ZAvatarsInput>,
): Promise<Array<{ userId: string; displayName: string; avatarUrl: string | null }>> {
  const { userIds } = validateInput(ZAvatarsInput, rawInput);
  const rows = await loadRows(deps.db, session.orgId, [...new Set(userIds)]);
  return Promise.all(
    rows.map(async (row) => {
      const hidden = row.visibility === 'private' && row.user_id !== session.userId;
      return {
        userId: row.user_id,
        displayName: hidden ? row.user_name : (row.display_name ?? row.user_name),
        avatarUrl: hidden ? null : await fileUrl(deps, session.orgId, row.avatar_file_id),
      };
    }),
  );
}
