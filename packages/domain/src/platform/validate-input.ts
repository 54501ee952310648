import type { z } from 'zod';
import { type FieldErrors, ValidationError } from '../errors.ts';
import { installHumanZodMessages } from './human-messages.ts';

// Every zod failure below reads in human words ("Enter at least 8 characters"); see human-messages.ts.
installHumanZodMessages();

/**
 * The one mapping from a zod failure to the taxonomy's field errors (SPEC §10): messages keyed by
 * input path (`email`, `items.0.name`), `_` for the input as a whole, under `prefix` when the input
 * sits inside a larger one (a handler's payload reports `payload.<path>`). The API maps zod failures
 * of its input schemas with it too (apps/api/src/errors.ts), so a field error reads the same whoever
 * found it; the web app reads the same shape from `error.data.fieldErrors`. One message per field:
 * the first problem zod found there (a person fixes one thing at a time; "Enter at least 8
 * characters" and "Use a digit" together read as a lecture).
 */
export function fieldErrorsFromZod(error: z.ZodError, prefix?: string): FieldErrors {
  const fieldErrors: FieldErrors = {};
  for (const issue of error.issues) {
    const key = [...(prefix ? [prefix] : []), ...issue.path.map(String)].join('.') || '_';
    fieldErrors[key] ??= [issue.message];
  }
  return fieldErrors;
}

/** The 400 VALIDATION_ERROR of a zod failure; the message defaults to the first problem, located. */
export function validationErrorFromZod(
  error: z.ZodError,
  options: { message?: string; prefix?: string } = {},
): ValidationError {
  return new ValidationError(options.message ?? summaryOf(error), fieldErrorsFromZod(error, options.prefix));
}

/**
 * Parses a use case's input with its zod schema, turning a failure into the taxonomy's 400
 * VALIDATION_ERROR with field errors — the same answer the API gives for a bad request, for callers
 * that reach the use case without going through a router (the worker, scripts, tests). `message`
 * replaces the default (the first problem's own message).
 */
export function validateInput<S extends z.ZodType>(schema: S, input: unknown, message?: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw validationErrorFromZod(parsed.error, {
    message: message ?? parsed.error.issues[0]?.message ?? 'Invalid input',
  });
}

/** `Invalid input at items.0.name: Too short` */
function summaryOf(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'Invalid input';
  return `Invalid input${first.path.length > 0 ? ` at ${first.path.map(String).join('.')}` : ''}: ${first.message}`;
}
