import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '@atrium/db';
import { type Kysely, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { NotFoundError, UnprocessableError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import type { LogSink } from '../platform/logger.ts';
import { createObjectKey, type ObjectStorage } from '../platform/object-storage.ts';
import { type Scanner, scanObject } from '../platform/scanner.ts';
import { sniffContentType } from '../platform/sniff-content-type.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import {
  FILE_AGGREGATE,
  FileDeleted,
  FilePublicLinkCreated,
  FilePublicLinkRevoked,
  FileUploaded,
} from './events.ts';

/**
 * Files (SPEC §5, docs/files.md): a member's own uploads. The bytes go straight to storage through a
 * signed PUT for exactly the announced size; `files.confirmUpload` then decides the type from the
 * bytes (never from the client) and scans them. Only a clean file is ever served — through an
 * expiring signed link, or a revocable public link whose every use is logged. Files are private to
 * their owner: anyone else's file, in this org or another, is 404.
 */

export interface FileDeps {
  db: Kysely<Database>;
  storage: ObjectStorage;
  scanner: Scanner;
  /** FILES_MAX_BYTES */
  maxBytes: number;
  clock?: Clock;
  log?: LogSink;
}

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────────

const ZFileName = z.string().trim().min(1, { error: 'The file needs a name' }).max(255);

export const ZUploadFileInput = z.object({
  name: ZFileName,
  /** What the browser says it is; signed into the upload, never used to serve the file. */
  contentType: z
    .string()
    .trim()
    .max(255)
    .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/)
    .default('application/octet-stream'),
  byteSize: z
    .number()
    .int()
    .min(1, { error: 'The file is empty' })
    .max(5 * 1024 ** 3),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type UploadFileInput = z.input<typeof ZUploadFileInput>;

export const ZFileIdInput = z.object({ id: z.uuid() });
export const ZListFilesInput = z.object({
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type ListFilesInput = z.input<typeof ZListFilesInput>;

/** Expiring links: one minute to seven days (S3's own ceiling for presigned URLs). */
export const ZCreateLinkInput = z.object({
  fileId: z.uuid(),
  expiresIn: z
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(3600),
});
export const ZCreatePublicLinkInput = z.object({
  fileId: z.uuid(),
  /** Seconds until the link stops working; without it, it works until revoked. */
  expiresIn: z
    .number()
    .int()
    .min(60)
    .max(365 * 24 * 3600)
    .optional(),
});
export const ZLinkIdInput = z.object({ linkId: z.uuid() });
export const ZListLinksInput = z.object({ fileId: z.uuid() });

// ── Views ─────────────────────────────────────────────────────────────────────────────────────────

export interface FileView {
  id: string;
  name: string;
  /** Sniffed from the bytes; null until the upload is confirmed. */
  contentType: string | null;
  declaredContentType: string;
  byteSize: number;
  status: 'pending' | 'available';
  scanStatus: 'pending' | 'clean' | 'infected' | 'error';
  scanEngine: string | null;
  /** The virus signature that matched, for an infected file. */
  scanSignature: string | null;
  createdAt: Date;
  uploadedAt: Date | null;
}

function fileView(row: Selectable<Database['files']>): FileView {
  return {
    id: row.id,
    name: row.name,
    contentType: row.content_type,
    declaredContentType: row.declared_content_type,
    byteSize: Number(row.byte_size),
    status: row.status,
    scanStatus: row.scan_status,
    scanEngine: row.scan_engine,
    scanSignature: row.scan_signature,
    createdAt: row.created_at,
    uploadedAt: row.uploaded_at,
  };
}

export interface FileLinkView {
  id: string;
  fileId: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  accessCount: number;
}

// ── Use cases ─────────────────────────────────────────────────────────────────────────────────────

/** How long an upload URL stays valid. */
const UPLOAD_URL_SECONDS = 3_600;

/** `files.upload {name, contentType, byteSize}`: a pending file and a signed PUT for exactly its bytes. */
export async function uploadFile(
  deps: FileDeps,
  session: Session,
  rawInput: UploadFileInput,
): Promise<{
  file: FileView;
  upload: { url: string; method: 'PUT'; headers: Record<string, string>; expiresAt: Date };
}> {
  const input = validateInput(ZUploadFileInput, rawInput);
  if (input.byteSize > deps.maxBytes) {
    throw new UnprocessableError(`Files can be at most ${formatBytes(deps.maxBytes)}`, {
      maxBytes: deps.maxBytes,
    });
  }
  const key = createObjectKey({ orgId: session.orgId, fileName: input.name });
  const row = await scoped(deps.db, session.orgId)
    .insertInto('files', {
      owner_id: session.userId,
      name: input.name,
      storage_key: key,
      declared_content_type: input.contentType,
      byte_size: input.byteSize,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const upload = await deps.storage.createUploadUrl({
    key,
    contentType: input.contentType,
    byteSize: input.byteSize,
    expiresInSeconds: UPLOAD_URL_SECONDS,
    ...(input.sha256 ? { sha256: input.sha256 } : {}),
  });
  return { file: fileView(row), upload };
}

/**
 * `files.confirmUpload {id}`: after the PUT, the file's type is sniffed from its first bytes and the
 * file is scanned; it becomes available (clean, infected or — when the scanner failed — error, which
 * a later confirm retries). 422 when the bytes are not there (yet).
 */
export async function confirmUpload(
  deps: FileDeps,
  session: Session,
  rawInput: z.input<typeof ZFileIdInput>,
): Promise<FileView> {
  const { id } = validateInput(ZFileIdInput, rawInput);
  const row = await ownFile(deps.db, session, id);
  if (row.status === 'available' && row.scan_status !== 'error') return fileView(row);
  const head = await deps.storage.head(row.storage_key);
  if (!head) throw new UnprocessableError('The file has not been uploaded yet');
  const sniffed = await sniffContentType(deps.storage, row.storage_key);
  const scan = await scanObject(deps.scanner, deps.storage, row.storage_key);
  const now = (deps.clock ?? systemClock).now();
  const scanStatus = scan.verdict === 'clean' ? 'clean' : scan.verdict === 'infected' ? 'infected' : 'error';
  if (scan.verdict === 'infected')
    deps.log?.warn(
      { fileId: id, signature: scan.signature, engine: scan.engine },
      'uploaded file is infected',
    );
  return deps.db.transaction().execute(async (trx) => {
    const updated = await scoped(trx, session.orgId)
      .updateTable('files')
      .set({
        status: 'available',
        content_type: sniffed?.contentType ?? 'application/octet-stream',
        byte_size: head.byteSize,
        scan_status: scanStatus,
        scan_engine: scan.engine,
        scan_signature: scan.verdict === 'infected' ? scan.signature.slice(0, 200) : null,
        scanned_at: now,
        uploaded_at: row.uploaded_at ?? now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeOutboxEvent(trx, {
      orgId: session.orgId,
      type: FileUploaded,
      aggregateType: FILE_AGGREGATE,
      aggregateId: id,
      payload: {
        fileId: id,
        ownerId: session.userId,
        contentType: updated.content_type ?? 'application/octet-stream',
        byteSize: head.byteSize,
        scanStatus,
      },
    });
    return fileView(updated);
  });
}

/** `files.list {cursor, limit}`: the caller's files, newest first, keyset on (created_at, id). */
export async function listFiles(
  deps: Pick<FileDeps, 'db'>,
  session: Session,
  rawInput: ListFilesInput = {},
): Promise<{ items: FileView[]; nextCursor: string | null }> {
  const { cursor, limit } = validateInput(ZListFilesInput, rawInput);
  let query = scoped(deps.db, session.orgId)
    .selectFrom('files')
    .selectAll()
    .select(sql<string>`files.created_at::text`.as('created_at_text'))
    .where('owner_id', '=', session.userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (cursor) {
    const after = decodeTimeIdCursor(cursor);
    query = query.where(
      sql<boolean>`(files.created_at, files.id) < (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(fileView),
    nextCursor: rows.length > limit && last ? encodeTimeIdCursor(last.created_at_text, last.id) : null,
  };
}

/** `files.get {id}`. */
export async function getFile(
  deps: Pick<FileDeps, 'db'>,
  session: Session,
  rawInput: z.input<typeof ZFileIdInput>,
): Promise<FileView> {
  const { id } = validateInput(ZFileIdInput, rawInput);
  return fileView(await ownFile(deps.db, session, id));
}

/** `files.delete {id}`: the row and its links go in one transaction (audited), then the bytes. */
export async function deleteFile(
  deps: FileDeps,
  session: Session,
  rawInput: z.input<typeof ZFileIdInput>,
): Promise<{ deleted: true }> {
  const { id } = validateInput(ZFileIdInput, rawInput);
  const key = await deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, session.orgId)
      .deleteFrom('files')
      .where('id', '=', id)
      .where('owner_id', '=', session.userId)
      .returning(['storage_key', 'name'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError('File');
    await writeOutboxEvent(trx, {
      orgId: session.orgId,
      type: FileDeleted,
      aggregateType: FILE_AGGREGATE,
      aggregateId: id,
      payload: { fileId: id, ownerId: session.userId },
    });
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'file.deleted',
        resourceType: 'file',
        resourceId: id,
        payload: { name: row.name },
      },
      deps.clock ? { clock: deps.clock } : {},
    );
    return row.storage_key;
  });
  try {
    await deps.storage.delete(key);
  } catch (error) {
    // The row is gone, so nothing can reach the bytes; the store's lifecycle rules can sweep them.
    deps.log?.warn({ err: error, fileId: id }, 'could not delete the bytes of a deleted file');
  }
  return { deleted: true };
}

/**
 * `files.createLink {fileId, expiresIn}`: an expiring signed GET (an attachment unless the file is a
 * raster image, audio or video), for clean files only. Logged like every access.
 */
export async function createFileLink(
  deps: FileDeps,
  session: Session,
  rawInput: z.input<typeof ZCreateLinkInput>,
  context: { ip: string | null },
): Promise<{ url: string; expiresAt: Date }> {
  const input = validateInput(ZCreateLinkInput, rawInput);
  const row = await ownFile(deps.db, session, input.fileId);
  assertServable(row);
  const signed = await signedGet(deps.storage, row, input.expiresIn);
  await scoped(deps.db, session.orgId)
    .insertInto('file_access_log', {
      file_id: row.id,
      user_id: session.userId,
      kind: 'signed',
      outcome: 'served',
      ip: context.ip,
    })
    .execute();
  return signed;
}

/**
 * `files.createPublicLink {fileId, expiresIn?}`: a link anyone holding it may open until it expires or
 * is revoked. The token (256 random bits) is returned once; only its SHA-256 is stored.
 */
export async function createPublicLink(
  deps: FileDeps,
  session: Session,
  rawInput: z.input<typeof ZCreatePublicLinkInput>,
): Promise<{ id: string; token: string; path: string; expiresAt: Date | null }> {
  const input = validateInput(ZCreatePublicLinkInput, rawInput);
  const row = await ownFile(deps.db, session, input.fileId);
  assertServable(row);
  const token = randomBytes(32).toString('base64url');
  const now = (deps.clock ?? systemClock).now();
  const expiresAt = input.expiresIn ? new Date(now.getTime() + input.expiresIn * 1000) : null;
  return deps.db.transaction().execute(async (trx) => {
    const link = await scoped(trx, session.orgId)
      .insertInto('file_links', {
        file_id: row.id,
        token_hash: hashToken(token),
        created_by: session.userId,
        expires_at: expiresAt,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    await writeOutboxEvent(trx, {
      orgId: session.orgId,
      type: FilePublicLinkCreated,
      aggregateType: FILE_AGGREGATE,
      aggregateId: row.id,
      payload: { fileId: row.id, linkId: link.id, createdBy: session.userId },
    });
    return { id: link.id, token, path: `/files/public/${token}`, expiresAt };
  });
}

/** `files.links {fileId}`: the public links of one of the caller's files, with how often each was used. */
export async function listPublicLinks(
  deps: Pick<FileDeps, 'db'>,
  session: Session,
  rawInput: z.input<typeof ZListLinksInput>,
): Promise<FileLinkView[]> {
  const { fileId } = validateInput(ZListLinksInput, rawInput);
  await ownFile(deps.db, session, fileId);
  const rows = await scoped(deps.db, session.orgId)
    .selectFrom('file_links')
    .select(['id', 'file_id', 'created_at', 'expires_at', 'revoked_at'])
    .select((eb) =>
      eb
        .selectFrom('file_access_log')
        .select(sql<string>`count(*)`.as('n'))
        .whereRef('file_access_log.link_id', '=', 'file_links.id')
        .as('access_count'),
    )
    .where('file_id', '=', fileId)
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    fileId: row.file_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    accessCount: Number(row.access_count ?? 0),
  }));
}

/** `files.revokeLink {linkId}`: the link stops working at once (idempotent). */
export async function revokePublicLink(
  deps: Pick<FileDeps, 'db' | 'clock'>,
  session: Session,
  rawInput: z.input<typeof ZLinkIdInput>,
): Promise<{ revokedAt: Date }> {
  const { linkId } = validateInput(ZLinkIdInput, rawInput);
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction().execute(async (trx) => {
    const link = await scoped(trx, session.orgId)
      .selectFrom('file_links')
      .innerJoin('files', (join) =>
        join.onRef('files.id', '=', 'file_links.file_id').onRef('files.org_id', '=', 'file_links.org_id'),
      )
      .select(['file_links.id', 'file_links.file_id', 'file_links.revoked_at'])
      .where('file_links.id', '=', linkId)
      .where('files.owner_id', '=', session.userId)
      .forUpdate()
      .executeTakeFirst();
    if (!link) throw new NotFoundError('Link');
    if (link.revoked_at) return { revokedAt: link.revoked_at };
    await scoped(trx, session.orgId)
      .updateTable('file_links')
      .set({ revoked_at: now })
      .where('id', '=', linkId)
      .execute();
    await writeOutboxEvent(trx, {
      orgId: session.orgId,
      type: FilePublicLinkRevoked,
      aggregateType: FILE_AGGREGATE,
      aggregateId: link.file_id,
      payload: { fileId: link.file_id, linkId, revokedBy: session.userId },
    });
    return { revokedAt: now };
  });
}

/** Public link lifetime of the signed URL a visitor is redirected to. */
const PUBLIC_REDIRECT_SECONDS = 60;

export type PublicLinkOutcome =
  | { outcome: 'served'; url: string }
  | { outcome: 'not-found' | 'expired' | 'revoked' | 'infected' | 'unavailable' };

/**
 * A visitor followed a public link (`GET /files/public/{token}` on the API). The token is the
 * credential: it is looked up by its hash across orgs. Every use of a known link is logged with its
 * outcome; a served one is a 60-second signed URL. Infected or unscanned files are never served.
 */
export async function openPublicLink(
  deps: Pick<FileDeps, 'db' | 'storage' | 'clock'>,
  token: string,
  context: { ip: string | null },
): Promise<PublicLinkOutcome> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { outcome: 'not-found' };
  const now = (deps.clock ?? systemClock).now();
  // Unscoped on purpose: the visitor has no org; the token (256 random bits) decides.
  const link = await deps.db
    .selectFrom('file_links')
    .innerJoin('files', (join) =>
      join.onRef('files.id', '=', 'file_links.file_id').onRef('files.org_id', '=', 'file_links.org_id'),
    )
    .selectAll('files')
    .select(['file_links.id as link_id', 'file_links.expires_at', 'file_links.revoked_at'])
    .where('file_links.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!link) return { outcome: 'not-found' };
  const outcome: Exclude<PublicLinkOutcome['outcome'], 'not-found'> = link.revoked_at
    ? 'revoked'
    : link.expires_at && link.expires_at <= now
      ? 'expired'
      : link.scan_status === 'infected'
        ? 'infected'
        : link.status !== 'available' || link.scan_status !== 'clean'
          ? 'unavailable'
          : 'served';
  await scoped(deps.db, link.org_id)
    .insertInto('file_access_log', {
      file_id: link.id,
      link_id: link.link_id,
      user_id: null,
      kind: 'public',
      outcome,
      at: now,
      ip: context.ip,
    })
    .execute();
  if (outcome !== 'served') return { outcome };
  const signed = await signedGet(deps.storage, link, PUBLIC_REDIRECT_SECONDS);
  return { outcome: 'served', url: signed.url };
}

// ── Helpers ───────────────────────────────────────────────────────────────────────────────────────

async function ownFile(
  db: Kysely<Database>,
  session: Session,
  id: string,
): Promise<Selectable<Database['files']>> {
  const row = await scoped(db, session.orgId)
    .selectFrom('files')
    .selectAll()
    .where('id', '=', id)
    .where('owner_id', '=', session.userId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('File');
  return row;
}

/** Only an uploaded, clean file is served (SPEC §5: infected files never are; nor unscanned ones). */
export function assertServable(row: Pick<Selectable<Database['files']>, 'status' | 'scan_status'>): void {
  if (row.status !== 'available') throw new UnprocessableError('The file has not been uploaded yet');
  if (row.scan_status === 'infected')
    throw new UnprocessableError('This file failed the virus scan and cannot be shared or downloaded');
  if (row.scan_status !== 'clean')
    throw new UnprocessableError('This file has not been scanned successfully yet; confirm the upload again');
}

export function signedGet(
  storage: ObjectStorage,
  row: Pick<Selectable<Database['files']>, 'storage_key' | 'name' | 'content_type'>,
  expiresInSeconds: number,
): Promise<{ url: string; expiresAt: Date }> {
  const contentType = row.content_type ?? 'application/octet-stream';
  return storage.createDownloadUrl({
    key: row.storage_key,
    expiresInSeconds,
    fileName: row.name,
    contentType,
    disposition: 'inline',
  });
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${Math.round((bytes / 1024 ** 3) * 10) / 10} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MB`;
  return `${Math.round(bytes / 1024)} KB`;
}
