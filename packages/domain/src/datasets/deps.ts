import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { ObjectStorage } from '../platform/object-storage.ts';
import type { RealtimePublisher } from '../realtime/port.ts';

/** What the datasets use cases run on. */
export interface DatasetDeps {
  db: Kysely<Database>;
  storage: ObjectStorage;
  clock?: Clock;
  /** Publish progress for large manifests goes here (to the publisher only). */
  realtime?: RealtimePublisher;
}
