/**
 * The error taxonomy of SPEC §10. Domain code throws these; the API's single error mapper turns a
 * code into an HTTP status and a tRPC code. Nothing here knows about HTTP: the status lives with the
 * mapper, the meaning lives here.
 */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'TOKEN_STALE',
  'FORBIDDEN',
  'EMAIL_NOT_VERIFIED',
  'NOT_FOUND',
  'CONFLICT',
  'UNPROCESSABLE',
  'RATE_LIMITED',
  'BAD_GATEWAY',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Field path (dot-joined) → messages, as a form shows them beside inputs. */
export type FieldErrors = Record<string, string[]>;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable detail the client may rely on (field errors, retry delay, per-item errors). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }
}

export class ValidationError extends AppError {
  readonly fieldErrors: FieldErrors;
  constructor(message: string, fieldErrors: FieldErrors = {}) {
    super('VALIDATION_ERROR', message, { details: { fieldErrors } });
    this.fieldErrors = fieldErrors;
  }
}

export class UnauthenticatedError extends AppError {
  constructor(
    message = 'Authentication required',
    code: 'UNAUTHENTICATED' | 'TOKEN_EXPIRED' | 'TOKEN_STALE' = 'UNAUTHENTICATED',
  ) {
    super(code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(
    message = 'You do not have permission to do this',
    code: 'FORBIDDEN' | 'EMAIL_NOT_VERIFIED' = 'FORBIDDEN',
  ) {
    super(code, message);
  }
}

export class NotFoundError extends AppError {
  /** Name the kind of thing, never whether some other org has it. */
  constructor(resource: string) {
    super('NOT_FOUND', `${resource} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details ? { details } : undefined);
  }
}

export class UnprocessableError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('UNPROCESSABLE', message, details ? { details } : undefined);
  }
}

export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = 'Too many requests, try again later') {
    super('RATE_LIMITED', message, { details: { retryAfterSeconds } });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class ExternalServiceError extends AppError {
  /** BAD_GATEWAY: the service answered wrongly. UNAVAILABLE: it did not answer or is switched off. */
  constructor(code: 'BAD_GATEWAY' | 'UNAVAILABLE', service: string, message?: string, cause?: unknown) {
    super(
      code,
      message ?? `${service} is ${code === 'UNAVAILABLE' ? 'unavailable' : 'not responding correctly'}`,
      {
        details: { service },
        cause,
      },
    );
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
