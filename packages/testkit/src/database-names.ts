/**
 * Names of the databases a test run creates. They carry their creation time so a later run can
 * drop what a crashed run left behind without touching a concurrent run's databases.
 */
export const TEST_DATABASE_PREFIX = 'atrium_t_';
export const TEMPLATE_DATABASE_PREFIX = 'atrium_tpl_';
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

export function newDatabaseName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export function isStale(name: string, now = Date.now()): boolean {
  const match = /^atrium_(?:t|tpl)_([0-9a-z]+)_/.exec(name);
  if (!match?.[1]) return false;
  return now - Number.parseInt(match[1], 36) > STALE_AFTER_MS;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
