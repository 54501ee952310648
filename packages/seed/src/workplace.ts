import type { Database } from '@atrium/db';
import { sealAimsPassword } from '@atrium/domain/workplace/connection';
import { startFullSync } from '@atrium/domain/workplace/full-sync';
import type { Kysely } from 'kysely';
import { DEMO_ORG_SLUG } from './demo.ts';

export interface DemoAimsSettings {
  baseUrl: string;
  company: string;
  store: string;
  username: string;
  password: string;
}

/**
 * The demo org's workplace for `pnpm dev` (SPEC §12): its AIMS connection pointed at the dev
 * simulator (updated on every start: the simulator's port may change, and it forgets everything when
 * it stops), and — the first time — a floor of desks, people sitting at some of them and three
 * meeting rooms. Then a full sync, so the simulator's labels show the demo data right away. The
 * password is sealed with the process's notifications keyring: configure it before calling.
 */
export async function seedWorkplaceDemo(
  db: Kysely<Database>,
  aims: DemoAimsSettings,
): Promise<{ created: boolean; runId: string | null }> {
  const org = await db.selectFrom('orgs').select('id').where('slug', '=', DEMO_ORG_SLUG).executeTakeFirst();
  if (!org) return { created: false, runId: null };
  const created = await db.transaction().execute(async (trx) => {
    const connection = {
      base_url: aims.baseUrl,
      cluster: 'common' as const,
      company: aims.company,
      store: aims.store,
      username: aims.username,
      password_enc: sealAimsPassword(org.id, aims.password),
      status: 'unknown' as const,
      paused: false,
      updated_at: new Date(),
    };
    await trx
      .insertInto('aims_connections')
      .values({ org_id: org.id, field_mapping: '{}', ...connection })
      .onConflict((oc) => oc.column('org_id').doUpdateSet(connection))
      .execute();
    const any = await trx
      .selectFrom('spaces')
      .select('id')
      .where('org_id', '=', org.id)
      .limit(1)
      .executeTakeFirst();
    if (any) return false;
    const desks = await trx
      .insertInto('spaces')
      .values(
        Array.from({ length: 12 }, (_, i) => ({
          org_id: org.id,
          external_id: `DESK-${String(i + 1).padStart(2, '0')}`,
          label_code: `D0000000${String(i + 1).padStart(4, '0')}`,
          data: JSON.stringify({ floor: '1', zone: i < 6 ? 'North' : 'South' }),
        })),
      )
      .returning(['id', 'external_id'])
      .execute();
    const people = ['Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Edsger Dijkstra', 'Barbara Liskov'];
    await trx
      .insertInto('people')
      .values(
        people.map((name, i) => ({
          org_id: org.id,
          external_id: `P-${i + 1}`,
          data: JSON.stringify({ name, department: i % 2 === 0 ? 'Engineering' : 'Research' }),
          assigned_space_id: desks[i]?.id ?? null,
        })),
      )
      .execute();
    await trx
      .insertInto('conference_rooms')
      .values(
        [
          ['R1', 'Lovelace room'],
          ['R2', 'Babbage room'],
          ['R3', 'Noether room'],
        ].map(([externalId, roomName], i) => ({
          org_id: org.id,
          external_id: externalId as string,
          room_name: roomName as string,
          label_code: `C0000000000${i + 1}`,
        })),
      )
      .execute();
    return true;
  });
  // Links are made by the per-article sync; a full sync writes every article the simulator lacks.
  const run = await startFullSync(db, {
    orgId: org.id,
    trigger: 'schedule',
    entities: ['spaces', 'rooms'],
    requestedBy: null,
  });
  return { created, runId: run.runId };
}
