import type { z } from 'zod';
import { type FieldErrors, ValidationError } from '../errors.ts';

/**
 * Parses a use case's input with its zod schema, turning a failure into the taxonomy's 400
 * VALIDATION_ERROR with field errors — the same answer the API gives for a bad request, for callers
 * that reach the use case without going through a router (the worker, scripts, tests).
 */
export function validateInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fieldErrors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    fieldErrors[key] ??= [];
    fieldErrors[key].push(issue.message);
  }
  throw new ValidationError(parsed.error.issues[0]?.message ?? 'Invalid input', fieldErrors);
}
