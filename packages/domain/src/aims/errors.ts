import { ExternalServiceError } from '../errors.ts';
import type { AimsEndpoint } from './types.ts';

/**
 * Why an AIMS call failed:
 * - `credentials`: the token endpoint refused the username or password;
 * - `rejected`: AIMS refused the request (a 4xx other than 401, 408 and 429, or an error `responseCode`
 *   in a 2xx envelope) — wrong company or store, bad article, licence limit;
 * - `unauthorized`: a freshly issued token was refused too;
 * - `bad-response`: the answer is not the AIMS envelope (or too large);
 * - `rate-limited`, `server-error`, `unreachable`, `timeout`: still failing when the retries ran out.
 */
export const AIMS_FAILURE_KINDS = [
  'credentials',
  'rejected',
  'unauthorized',
  'bad-response',
  'rate-limited',
  'server-error',
  'unreachable',
  'timeout',
] as const;
export type AimsFailureKind = (typeof AIMS_FAILURE_KINDS)[number];

/** AIMS answered wrongly: BAD_GATEWAY. It did not answer (in time, or at all): UNAVAILABLE. */
const ANSWERED_WRONGLY = new Set<AimsFailureKind>([
  'credentials',
  'rejected',
  'unauthorized',
  'bad-response',
]);
/** Retrying the same request cannot help until someone changes the connection or the data. */
const PERMANENT = new Set<AimsFailureKind>(['credentials', 'rejected']);

/**
 * An AIMS call that failed. A sync job reads `permanent`: true → dead-letter at once (the same
 * request will be refused again), false → retry with backoff. `retryAfterMs` is the server's hint
 * when it was rate-limiting.
 */
export class AimsError extends ExternalServiceError {
  readonly kind: AimsFailureKind;
  readonly permanent: boolean;
  readonly endpoint: AimsEndpoint;
  /** The HTTP status of the last answer, when there was one. */
  readonly status: number | undefined;
  /** HTTP attempts the call made. */
  readonly attempts: number;
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: AimsFailureKind,
    message: string,
    details: {
      endpoint: AimsEndpoint;
      attempts: number;
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      cause?: unknown;
    },
  ) {
    super(ANSWERED_WRONGLY.has(kind) ? 'BAD_GATEWAY' : 'UNAVAILABLE', 'AIMS', message, details.cause);
    this.name = 'AimsError';
    this.kind = kind;
    this.permanent = PERMANENT.has(kind);
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.attempts = details.attempts;
    this.retryAfterMs = details.retryAfterMs;
  }
}

export function isAimsError(error: unknown): error is AimsError {
  return error instanceof AimsError;
}
