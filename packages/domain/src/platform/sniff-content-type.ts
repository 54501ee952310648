import type { ObjectStorage } from './object-storage.ts';

/**
 * What a stored object is, read from its first bytes (SPEC §5: "MIME sniffed from bytes, not trusted
 * from the client"). The client's declared type and the file name play no part: a `.png` holding an
 * executable is an executable.
 */
export interface SniffedType {
  contentType: string;
  /** How it was decided: a binary signature (file-type), UTF-8 text, or nothing recognisable. */
  by: 'signature' | 'text' | 'unknown';
  /** file-type's extension for a signature match (`png`, `elf`, `exe`, …). */
  extension?: string;
}

/** file-type's own "reasonable detection size": enough for every signature it knows. */
export const SNIFF_BYTES = 4100;

export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/**
 * Sniffs the object at `key`, or returns null when there is none. Only the first 4,100 bytes are
 * read (one ranged GET on S3). file-type (ESM, ~1 MB of RSS) is imported on first use.
 *
 * Rules for what file-type cannot recognise (it knows binary formats only):
 * - valid UTF-8 without control characters other than tab, line feed, carriage return and form
 *   feed is `text/plain; charset=utf-8` — never `text/html`, `image/svg+xml` or a script type, whatever
 *   the text contains, so an upload is never labelled as something a browser executes;
 * - anything else is `application/octet-stream`.
 */
export async function sniffContentType(storage: ObjectStorage, key: string): Promise<SniffedType | null> {
  const head = await storage.readRange(key, { offset: 0, length: SNIFF_BYTES });
  if (head === null) return null;
  return sniffBytes(head);
}

export async function sniffBytes(bytes: Uint8Array): Promise<SniffedType> {
  if (bytes.byteLength > 0) {
    const { fileTypeFromBuffer } = await import('file-type');
    const detected = await fileTypeFromBuffer(bytes);
    if (detected) return { contentType: detected.mime, by: 'signature', extension: detected.ext };
  }
  if (bytes.byteLength > 0 && isPlainText(bytes))
    return { contentType: 'text/plain; charset=utf-8', by: 'text' };
  return { contentType: UNKNOWN_CONTENT_TYPE, by: 'unknown' };
}

function isPlainText(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    // C0 controls other than tab, line feed, form feed and carriage return, and DEL: binary data has
    // them, text does not.
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) || byte === 0x7f) {
      return false;
    }
  }
  try {
    // `stream: true` lets the sample end in the middle of a character (it is cut at 4,100 bytes).
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}
