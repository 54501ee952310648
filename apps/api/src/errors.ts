import { AppError, type ErrorCode, ExternalServiceError, type FieldErrors } from '@atrium/domain/errors';
import { isDatabaseUnavailable } from '@atrium/domain/platform/postgres-errors';
import { validationErrorFromZod } from '@atrium/domain/platform/validate-input';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';

/**
 * The one mapper between the domain's error taxonomy (SPEC §10) and the wire. Every procedure's
 * failure passes through `toTRPCError` (a middleware at the root of the ladder) and then through
 * `formatError` (tRPC's errorFormatter), so status, machine `code` and message are decided here only.
 */
export const ERROR_WIRE: Record<ErrorCode, { status: number; trpc: TRPC_ERROR_CODE_KEY }> = {
  VALIDATION_ERROR: { status: 400, trpc: 'BAD_REQUEST' },
  UNAUTHENTICATED: { status: 401, trpc: 'UNAUTHORIZED' },
  TOKEN_EXPIRED: { status: 401, trpc: 'UNAUTHORIZED' },
  TOKEN_STALE: { status: 401, trpc: 'UNAUTHORIZED' },
  FORBIDDEN: { status: 403, trpc: 'FORBIDDEN' },
  EMAIL_NOT_VERIFIED: { status: 403, trpc: 'FORBIDDEN' },
  NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  CONFLICT: { status: 409, trpc: 'CONFLICT' },
  UNPROCESSABLE: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  RATE_LIMITED: { status: 429, trpc: 'TOO_MANY_REQUESTS' },
  BAD_GATEWAY: { status: 502, trpc: 'BAD_GATEWAY' },
  UNAVAILABLE: { status: 503, trpc: 'SERVICE_UNAVAILABLE' },
  INTERNAL: { status: 500, trpc: 'INTERNAL_SERVER_ERROR' },
};

/** tRPC's own codes (routing, parsing, method) → ours, for errors that never reached a procedure. */
const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  PARSE_ERROR: 'VALIDATION_ERROR',
  BAD_REQUEST: 'VALIDATION_ERROR',
  UNAUTHORIZED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'VALIDATION_ERROR',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'VALIDATION_ERROR',
  UNSUPPORTED_MEDIA_TYPE: 'VALIDATION_ERROR',
  UNPROCESSABLE_CONTENT: 'UNPROCESSABLE',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  BAD_GATEWAY: 'BAD_GATEWAY',
  SERVICE_UNAVAILABLE: 'UNAVAILABLE',
};

/**
 * Transport refusals tRPC raises before any procedure runs keep their own HTTP status (413 for a body
 * over the cap, 415, 405) while carrying the taxonomy's code.
 */
const TRANSPORT_STATUS: Partial<Record<TRPC_ERROR_CODE_KEY, number>> = {
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  METHOD_NOT_SUPPORTED: 405,
};

const INTERNAL_MESSAGE = 'Something went wrong on our side. The error has been logged';

/** Turns anything a procedure threw into a TRPCError whose cause is an AppError. */
export function toTRPCError(error: unknown): TRPCError {
  const appError = toAppError(error);
  // A transport refusal raised while tRPC read the input keeps its code, hence its HTTP status.
  const code =
    error instanceof TRPCError && TRANSPORT_STATUS[error.code] ? error.code : ERROR_WIRE[appError.code].trpc;
  return new TRPCError({ code, message: appError.message, cause: appError });
}

const TRANSPORT_MESSAGES: Partial<Record<TRPC_ERROR_CODE_KEY, string>> = {
  PAYLOAD_TOO_LARGE: 'The request is larger than this endpoint accepts',
  UNSUPPORTED_MEDIA_TYPE: 'Requests must be sent as application/json',
  METHOD_NOT_SUPPORTED: 'This procedure does not accept that HTTP method',
};

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new ExternalServiceError(
      'UNAVAILABLE',
      'database',
      'The service is briefly unavailable; try again in a moment',
      error,
    );
  }
  if (isPostgresDataException(error)) {
    return new AppError('VALIDATION_ERROR', 'A value in this request is out of range or malformed', {
      cause: error,
    });
  }
  if (error instanceof ZodError) return validationErrorFromZod(error);
  if (error instanceof TRPCError) {
    if (error.cause instanceof AppError) return error.cause;
    if (error.cause instanceof ZodError) return validationErrorFromZod(error.cause);
    // tRPC wraps what a procedure threw: an unreachable database inside is still a 503.
    if (error.code === 'INTERNAL_SERVER_ERROR' && error.cause !== undefined) {
      const inner = toAppError(error.cause);
      if (inner.code !== 'INTERNAL') return inner;
    }
    const code = FROM_TRPC[error.code];
    if (code) return new AppError(code, TRANSPORT_MESSAGES[error.code] ?? error.message);
    return new AppError('INTERNAL', INTERNAL_MESSAGE, { cause: error.cause ?? error });
  }
  return new AppError('INTERNAL', INTERNAL_MESSAGE, { cause: error });
}

/**
 * PostgreSQL's class 22 (data exception: a value out of range, malformed or holding a NUL byte) can
 * only come from a value, which a schema should have refused: a safety net under the input blocks, so
 * a gap answers 400 rather than 500. It is logged (see http.ts) so the gap gets closed.
 */
export function isPostgresDataException(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code) && typeof severity === 'string';
}

/** What a client sees in `error.data`; stable across releases. */
export interface ErrorData {
  code: ErrorCode;
  httpStatus: number;
  requestId?: string | undefined;
  fieldErrors?: FieldErrors;
  retryAfterSeconds?: number;
  details?: Record<string, unknown>;
}

export function errorData(appError: AppError, requestId: string | undefined, raised?: unknown): ErrorData {
  const transportStatus = raised instanceof TRPCError ? TRANSPORT_STATUS[raised.code] : undefined;
  const data: ErrorData = {
    code: appError.code,
    httpStatus: transportStatus ?? ERROR_WIRE[appError.code].status,
    requestId,
  };
  const details = appError.details;
  if (details) {
    const { fieldErrors, retryAfterSeconds, ...rest } = details;
    if (fieldErrors) data.fieldErrors = fieldErrors as FieldErrors;
    if (typeof retryAfterSeconds === 'number') data.retryAfterSeconds = retryAfterSeconds;
    if (Object.keys(rest).length > 0) data.details = rest;
  }
  return data;
}

/** Message safe for the client: internal errors never leak their text, stack or SQL. */
export function publicMessage(appError: AppError): string {
  return appError.code === 'INTERNAL' ? INTERNAL_MESSAGE : appError.message;
}
