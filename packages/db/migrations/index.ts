import type { Migration } from 'kysely/migration';
import * as foundation from './2026-11-22T0800-foundation.ts';
import * as audit from './2026-11-22T0900-audit.ts';
import * as identity from './2026-11-22T0930-identity.ts';
import * as scheduling from './2026-11-22T1000-scheduling.ts';
import * as ops from './2026-11-22T1030-ops.ts';
import * as notifications from './2026-11-29T0900-notifications.ts';
import * as creators from './2026-11-29T0930-creators.ts';
import * as abuseResistance from './2026-12-02T0900-abuse-resistance.ts';
import * as search from './2026-12-02T1000-search.ts';
import * as content from './2026-12-03T1100-content.ts';
import * as workplace from './2026-12-03T1200-workplace.ts';
import * as logging from './2026-12-03T1300-logging.ts';
import * as datasets from './2026-12-03T1400-datasets.ts';
import * as console_ from './2026-12-03T1500-console.ts';
import * as notificationSends from './2026-12-03T1610-notification-sends.ts';

/**
 * Every migration, in order. Listed statically (rather than read from the folder at run time) so the
 * same list works under Node's type stripping, vitest and any bundler. Add new files at the end; the
 * key is the file name without extension and must sort after the previous one.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-22T0800-foundation': foundation,
  '2026-11-22T0900-audit': audit,
  '2026-11-22T0930-identity': identity,
  '2026-11-22T1000-scheduling': scheduling,
  '2026-11-22T1030-ops': ops,
  '2026-11-29T0900-notifications': notifications,
  '2026-11-29T0930-creators': creators,
  '2026-12-02T0900-abuse-resistance': abuseResistance,
  '2026-12-02T1000-search': search,
  '2026-12-03T1100-content': content,
  '2026-12-03T1200-workplace': workplace,
  '2026-12-03T1300-logging': logging,
  '2026-12-03T1400-datasets': datasets,
  '2026-12-03T1500-console': console_,
  '2026-12-03T1610-notification-sends': notificationSends,
};
