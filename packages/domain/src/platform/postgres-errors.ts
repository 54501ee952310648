/** PostgreSQL's unique_violation, optionally on one named constraint (node-postgres error fields). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint: violated } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && (constraint === undefined || violated === constraint);
}

/** PostgreSQL's foreign_key_violation, optionally on one named constraint. */
export function isForeignKeyViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint: violated } = error as { code?: unknown; constraint?: unknown };
  return code === '23503' && (constraint === undefined || violated === constraint);
}
