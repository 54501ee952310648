import type { Database } from '@atrium/db';
import { type Generated, type Kysely, sql } from 'kysely';

/** A table test handlers write their effects to, so a test can count them. */
export async function createEffectsTable(db: Kysely<Database>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS effects (
      id bigserial PRIMARY KEY,
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      note text NOT NULL DEFAULT ''
    )
  `.execute(db);
}

export type EffectsTable = {
  effects: { id: Generated<string>; consumer: string; event_id: string; note: Generated<string> };
};

export async function effectsOf(db: Kysely<Database>, eventId: string) {
  return db
    .withTables<EffectsTable>()
    .selectFrom('effects')
    .select(['id', 'consumer', 'note'])
    .where('event_id', '=', eventId)
    .orderBy('id')
    .execute();
}
