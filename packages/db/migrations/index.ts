import type { Migration } from 'kysely/migration';
import * as foundation from './2026-11-22T0800-foundation.ts';

/**
 * Every migration, in order. Listed statically (rather than read from the folder at run time) so the
 * same list works under Node's type stripping, vitest and any bundler. Add new files at the end; the
 * key is the file name without extension and must sort after the previous one.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-22T0800-foundation': foundation,
};
