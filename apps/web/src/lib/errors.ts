import { isTRPCClientError, type TRPCClientErrorLike } from '@trpc/client';
import type { AppRouter } from './trpc.ts';

/** The API could not be reached, or answered with something that is not the API's own response. */
export class ApiUnreachableError extends Error {
  override name = 'ApiUnreachableError';
}

/** What the API puts in `error.data` (apps/api/src/errors.ts, `ErrorData`). */
type ApiErrorData = NonNullable<TRPCClientErrorLike<AppRouter>['data']>;

/**
 * Messages by input path, `_` for the input as a whole: the API's shape (the domain's
 * `fieldErrorsFromZod` makes it), which the forms' own checks use too, so both show alike.
 */
export type FieldErrors = NonNullable<ApiErrorData['fieldErrors']>;

/** What the UI needs to show any failure: tRPC errors, plain HTTP failures, or thrown values. */
export interface DescribedError {
  title: string;
  message: string;
  /** Our stable machine code (SPEC §10), when the API answered. */
  code: string | null;
  httpStatus: number | null;
  requestId: string | null;
  /** Keyed by input path (`email`, `items.0.name`); `_` holds errors about the input as a whole. */
  fieldErrors: FieldErrors | null;
  retryAfterSeconds: number | null;
  /** Machine-readable detail some errors carry (e.g. `reason` of a 409), for the UI to act on. */
  details: Record<string, unknown> | null;
  /** True when no API answered at all: network down, API stopped, proxy error. */
  unreachable: boolean;
}

const TITLES: Record<string, string> = {
  VALIDATION_ERROR: 'Some input needs attention',
  UNAUTHENTICATED: 'Sign in required',
  TOKEN_EXPIRED: 'Your session has expired',
  TOKEN_STALE: 'Your session needs refreshing',
  FORBIDDEN: 'Not allowed',
  EMAIL_NOT_VERIFIED: 'Email address not verified',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  UNPROCESSABLE: 'Cannot do that',
  RATE_LIMITED: 'Too many requests',
  BAD_GATEWAY: 'An external service failed',
  UNAVAILABLE: 'Temporarily unavailable',
  INTERNAL: 'Something went wrong',
};

const UNREACHABLE_TITLE = 'API unreachable';

export function describeError(error: unknown): DescribedError {
  const base: DescribedError = {
    title: 'Something went wrong',
    message: 'Unknown error',
    code: null,
    httpStatus: null,
    requestId: null,
    fieldErrors: null,
    retryAfterSeconds: null,
    details: null,
    unreachable: false,
  };
  if (isTRPCClientError<AppRouter>(error)) {
    const data = error.data;
    // No error shape means the response did not come from the API (fetch failed, proxy error page).
    if (!data) return { ...base, title: UNREACHABLE_TITLE, message: error.message, unreachable: true };
    return {
      ...base,
      title: TITLES[data.code] ?? base.title,
      message: error.message,
      code: data.code,
      httpStatus: data.httpStatus,
      requestId: data.requestId ?? null,
      fieldErrors: data.fieldErrors && Object.keys(data.fieldErrors).length > 0 ? data.fieldErrors : null,
      retryAfterSeconds: data.retryAfterSeconds ?? null,
      details: data.details ?? null,
    };
  }
  if (error instanceof ApiUnreachableError) {
    return { ...base, title: UNREACHABLE_TITLE, message: error.message, unreachable: true };
  }
  if (error instanceof Error) return { ...base, message: error.message };
  return { ...base, message: String(error) };
}

/** Field errors of a failed call, for forms that show them next to their inputs. */
export function fieldErrorsOf(error: unknown): FieldErrors {
  return describeError(error).fieldErrors ?? {};
}
