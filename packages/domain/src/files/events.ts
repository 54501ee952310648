import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/** The files module's outbox events (SPEC §5). Ids and facts only. */

export const FILE_AGGREGATE = 'file';

/** An upload completed: its type was sniffed from the bytes and it was scanned. */
export const FileUploaded = defineEvent(
  'FileUploaded',
  z.object({
    fileId: z.uuid(),
    ownerId: z.uuid(),
    contentType: z.string(),
    byteSize: z.number().int().min(0),
    scanStatus: z.enum(['clean', 'infected', 'error']),
  }),
);

/** The owner deleted a file; its links stopped working with it. */
export const FileDeleted = defineEvent('FileDeleted', z.object({ fileId: z.uuid(), ownerId: z.uuid() }));

/** A public link was made or revoked. */
export const FilePublicLinkCreated = defineEvent(
  'FilePublicLinkCreated',
  z.object({ fileId: z.uuid(), linkId: z.uuid(), createdBy: z.uuid() }),
);
export const FilePublicLinkRevoked = defineEvent(
  'FilePublicLinkRevoked',
  z.object({ fileId: z.uuid(), linkId: z.uuid(), revokedBy: z.uuid() }),
);
