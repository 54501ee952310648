import { NotFoundError } from '../errors.ts';
import type { ObjectStorage } from './object-storage.ts';

/**
 * The Scanner port (SPEC §5 Files): is an uploaded file malware? Adapters:
 * - `createNoScanner()`, the default: scans nothing and says so (`engine: 'none'`);
 * - `createClamavScanner()` (`clamav-scanner.ts`): clamd's INSTREAM protocol over TCP (CLAMAV_HOST).
 *
 * `scan` never throws for what the engine did or did not do: an unreachable or failing engine is the
 * verdict `error`, and the files module decides what an unscanned file may do (never served as clean).
 */
export interface Scanner {
  readonly engine: ScanEngine;
  /**
   * Scans the bytes. A stream is consumed: read to its end, or destroyed when the scan stops early
   * (size limit, timeout, engine gone).
   */
  scan(input: ScanInput): Promise<ScanResult>;
  /** Throws ExternalServiceError when the engine does not answer (readiness checks, start-up). */
  ping(): Promise<void>;
}

export type ScanEngine = 'none' | 'clamav';
export type ScanInput = Uint8Array | AsyncIterable<Uint8Array>;

export type ScanResult =
  /** `engine: 'none'` means nobody looked: clean by default, not by inspection. */
  | { verdict: 'clean'; engine: ScanEngine }
  /** `signature` is the engine's name for what it found (`Win.Test.EICAR_HDB-1`). */
  | { verdict: 'infected'; engine: ScanEngine; signature: string }
  | { verdict: 'error'; engine: ScanEngine; error: ScanErrorKind; message: string };

export const SCAN_ERROR_KINDS = [
  /** No connection to the engine (refused, reset, DNS). */
  'unreachable',
  /** Connecting or the whole scan took too long. */
  'timeout',
  /** The input is larger than the scanner (or clamd's StreamMaxLength) accepts: not scanned. */
  'too-large',
  /** The engine answered with an error of its own. */
  'engine',
  /** The engine's answer made no sense. */
  'protocol',
  /** Reading the input failed (the object store, not the scanner). */
  'input',
] as const;

export type ScanErrorKind = (typeof SCAN_ERROR_KINDS)[number];

/** The default scanner: no engine configured, so every file is `clean` with `engine: 'none'`. */
export function createNoScanner(): Scanner {
  return {
    engine: 'none',
    async scan(input) {
      // Nothing will read the stream: end it, so the caller's file or S3 response is released.
      releaseInput(input);
      return { verdict: 'clean', engine: 'none' };
    },
    async ping() {},
  };
}

/** Ends a stream a scan will not read (further): a file handle or an S3 response is let go at once. */
export function releaseInput(input: ScanInput): void {
  const stream = input as { destroy?: () => void; destroyed?: boolean };
  if (typeof stream.destroy === 'function' && !stream.destroyed) stream.destroy();
}

/** Scans a stored object; NotFoundError when there is none. */
export async function scanObject(scanner: Scanner, storage: ObjectStorage, key: string): Promise<ScanResult> {
  if (scanner.engine === 'none') {
    // No engine would read the bytes, so they are not fetched.
    if (!(await storage.head(key))) throw new NotFoundError('Object');
    return scanner.scan(new Uint8Array(0));
  }
  const stream = await storage.open(key);
  if (!stream) throw new NotFoundError('Object');
  return scanner.scan(stream);
}
