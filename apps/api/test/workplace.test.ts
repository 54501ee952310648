import { type RunningAimsSimulator, startAimsSimulator } from '@atrium/aims-simulator';
import type { Session } from '@atrium/domain/access/session';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, sessionOf } from '@atrium/testkit/factories';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context.ts';
import { appRouter } from '../src/router.ts';
import { createServices, type Services } from '../src/services.ts';
import { createCallerFactory } from '../src/trpc.ts';
import { testApiEnv } from './helpers.ts';

const createCaller = createCallerFactory(appRouter);
const COMPANY = 'WPAPI';
const STORE = 'HQ';
const USERNAME = 'sync@wp.example';
const PASSWORD = 'aims-secret-passw0rd';

/**
 * The workplace procedures through the real router (SPEC §9): the AIMS connection (password sealed,
 * never returned, `test` really asking the simulator for a token), spaces, people with assignment and
 * CSV import, rooms, full-sync triggers — with permissions, tenancy and the outbox events each write.
 * The sync itself (worker, simulator) is in apps/worker/test/workplace-sync.test.ts.
 */
describe('workplace.* procedures', () => {
  const t = useTestDatabase();
  let services: Services;
  let sim: RunningAimsSimulator;
  let orgA: string;
  let orgB: string;
  let manager: Session;
  let managerB: Session;
  let viewer: Session;

  const as = (session: Session) => createCaller(createInnerContext({ services, session })).workplace;

  async function codeOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof TRPCError)
        return (error.cause as { code?: string } | undefined)?.code ?? error.code;
      throw error;
    }
    return 'OK';
  }

  const outbox = async (orgId: string) =>
    t.db
      .selectFrom('outbox_events')
      .select(['type', 'aggregate_type', 'aggregate_id', 'payload'])
      .where('org_id', '=', orgId)
      .orderBy('seq')
      .execute();

  beforeAll(async () => {
    sim = await startAimsSimulator({
      companies: [{ code: COMPANY, users: [{ username: USERNAME, password: PASSWORD }], stores: [STORE] }],
    });
    services = await createServices(testApiEnv(t.url));
    orgA = (await createTestOrg(t.db, { name: 'Workplace A' })).id;
    orgB = (await createTestOrg(t.db, { name: 'Workplace B' })).id;
    manager = await sessionOf(t.db, (await createTestUser(t.db, { orgId: orgA, roles: ['manager'] })).id);
    managerB = await sessionOf(t.db, (await createTestUser(t.db, { orgId: orgB, roles: ['manager'] })).id);
    viewer = await sessionOf(t.db, (await createTestUser(t.db, { orgId: orgA, roles: ['viewer'] })).id);
  });
  afterAll(async () => {
    await services?.close();
    await sim?.close();
  });

  it('aims.configure stores the password sealed and no procedure returns it; test really asks AIMS', async () => {
    const settings = {
      baseUrl: sim.url,
      cluster: 'common' as const,
      company: COMPANY,
      store: STORE,
      username: USERNAME,
    };
    expect(await codeOf(as(manager).aims.configure(settings))).toBe('VALIDATION_ERROR'); // first time: password required
    const saved = await as(manager).aims.configure({ ...settings, password: PASSWORD });
    expect(saved).toMatchObject({ configured: true, company: COMPANY, status: 'unknown', hasPassword: true });
    expect(JSON.stringify(saved)).not.toContain(PASSWORD);
    expect(JSON.stringify(await as(manager).aims.get())).not.toContain(PASSWORD);
    const row = await t.db
      .selectFrom('aims_connections')
      .selectAll()
      .where('org_id', '=', orgA)
      .executeTakeFirstOrThrow();
    expect(row.password_enc.toString('utf8')).not.toContain(PASSWORD);
    expect(row.password_enc.toString('latin1')).not.toContain(PASSWORD);

    sim.control.clearCalls(COMPANY);
    const ok = await as(manager).aims.test({});
    expect(ok).toMatchObject({ ok: true, articleCount: 0 });
    expect(sim.control.calls(COMPANY).byEndpoint['POST /api/v2/token']?.calls).toBe(1);

    const wrong = await as(manager).aims.test({ password: 'not-the-password' });
    expect(wrong.ok).toBe(false);
    expect(wrong.error).toMatch(/AIMS/);
    expect(JSON.stringify(wrong)).not.toContain('not-the-password');

    // Changing settings without a password keeps the stored one.
    await as(manager).aims.configure({
      ...settings,
      conflictStrategy: 'newest_wins',
      fieldMapping: { NAME: 'person.name' },
    });
    expect((await as(manager).aims.test({})).ok).toBe(true);
    expect(await as(manager).aims.get()).toMatchObject({
      conflictStrategy: 'newest_wins',
      fieldMapping: { NAME: 'person.name' },
    });
    await as(manager).aims.configure({ ...settings, conflictStrategy: 'server_wins', fieldMapping: {} });

    // Another org has none; a viewer may not look.
    expect(await as(managerB).aims.get()).toEqual({ configured: false });
    expect(await codeOf(as(managerB).aims.test({}))).toBe('NOT_FOUND');
    expect(await codeOf(as(viewer).aims.get())).toBe('FORBIDDEN');
    expect(
      await codeOf(
        as(manager).aims.configure({ ...settings, baseUrl: `${sim.url}/common`, password: PASSWORD }),
      ),
    ).toBe('VALIDATION_ERROR');
  });

  it('in production, an AIMS address in a private network is refused (saved or tested)', async () => {
    const strict = await createServices(testApiEnv(t.url, { AIMS_ALLOW_PRIVATE_HOSTS: 'false' }));
    try {
      const w = createCaller(createInnerContext({ services: strict, session: managerB })).workplace;
      const settings = { company: COMPANY, store: STORE, username: USERNAME, password: PASSWORD };
      for (const baseUrl of [sim.url, 'http://10.1.2.3', 'http://[::1]:8080', 'http://169.254.169.254']) {
        expect(await codeOf(w.aims.configure({ ...settings, baseUrl })), baseUrl).toBe('VALIDATION_ERROR');
        expect(await codeOf(w.aims.test({ ...settings, baseUrl })), baseUrl).toBe('VALIDATION_ERROR');
      }
      expect(await w.aims.get()).toEqual({ configured: false });
    } finally {
      await strict.close();
    }
  });

  it('spaces: create (409 on a taken id), update, list with a cursor, delete — each asks for its article sync', async () => {
    const first = await as(manager).spaces.create({
      externalId: 'S-100',
      labelCode: '04507b0ac391',
      data: { name: 'Desk 100' },
    });
    expect(first).toMatchObject({
      externalId: 'S-100',
      labelCode: '04507B0AC391',
      syncStatus: 'pending',
      assignedPerson: null,
    });
    expect(await codeOf(as(manager).spaces.create({ externalId: 'S-100' }))).toBe('CONFLICT');
    for (let i = 101; i <= 104; i += 1) await as(manager).spaces.create({ externalId: `S-${i}` });
    const page1 = await as(manager).spaces.list({ limit: 3 });
    expect(page1.items.map((s) => s.externalId)).toEqual(['S-100', 'S-101', 'S-102']);
    const page2 = await as(manager).spaces.list({ limit: 3, cursor: page1.nextCursor as string });
    expect(page2.items.map((s) => s.externalId)).toEqual(['S-103', 'S-104']);
    expect(page2.nextCursor).toBeNull();
    expect(await codeOf(as(manager).spaces.list({ cursor: 'garbage!' }))).toBe('VALIDATION_ERROR');

    const updated = await as(manager).spaces.update({ id: first.id, data: { name: 'Desk 100b' } });
    expect(updated.data).toEqual({ name: 'Desk 100b' });
    // Another org's space is not found, never forbidden.
    expect(await codeOf(as(managerB).spaces.get({ id: first.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as(managerB).spaces.update({ id: first.id, data: {} }))).toBe('NOT_FOUND');
    expect(await codeOf(as(viewer).spaces.list({}))).toBe('FORBIDDEN');

    const s104 = page2.items[1];
    await as(manager).spaces.delete({ id: s104?.id as string });
    const events = (await outbox(orgA)).filter((e) => e.aggregate_id === `${orgA}/S-104`);
    expect(events.map((e) => [e.type, (e.payload as { reason: string }).reason])).toEqual([
      ['SpaceArticleChanged', 'created'],
      ['SpaceArticleChanged', 'deleted'],
    ]);
    const audit = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('org_id', '=', orgA)
      .execute();
    expect(audit.map((a) => a.action)).toContain('workplace.space.deleted');
  });

  it('assign: one transaction, 409 when the space is taken, the old space freed, both articles synced', async () => {
    const w = as(manager);
    const a = await w.spaces.create({ externalId: 'A-1' });
    const b = await w.spaces.create({ externalId: 'A-2' });
    const ada = await w.people.create({ externalId: 'P-ada', data: { name: 'Ada' } });
    const bob = await w.people.create({ data: { name: 'Bob' } });

    const assigned = await w.people.assign({ personId: ada.id, spaceId: a.id });
    expect(assigned.assignedSpace).toEqual({ id: a.id, externalId: 'A-1' });
    expect((await w.spaces.get({ id: a.id })).assignedPerson).toMatchObject({
      id: ada.id,
      data: { name: 'Ada' },
    });
    expect(await codeOf(w.people.assign({ personId: bob.id, spaceId: a.id }))).toBe('CONFLICT');

    const before = (await outbox(orgA)).length;
    await w.people.assign({ personId: ada.id, spaceId: b.id });
    const after = (await outbox(orgA)).slice(before);
    expect(after.map((e) => [e.type, e.aggregate_id])).toEqual([
      ['PersonAssigned', ada.id],
      ['SpaceAssignmentChanged', `${orgA}/A-1`],
      ['SpaceAssignmentChanged', `${orgA}/A-2`],
    ]);
    expect((await w.spaces.get({ id: a.id })).assignedPerson).toBeNull();
    await w.people.assign({ personId: bob.id, spaceId: a.id });
    expect((await w.people.unassign({ personId: bob.id })).assignedSpace).toBeNull();

    // Another org's space or person: 404.
    const foreign = await as(managerB).spaces.create({ externalId: 'A-1' });
    expect(await codeOf(w.people.assign({ personId: bob.id, spaceId: foreign.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as(managerB).people.assign({ personId: bob.id, spaceId: foreign.id }))).toBe(
      'NOT_FOUND',
    );
    expect((await w.spaces.list({ free: true, q: 'A-' })).items.map((s) => s.externalId)).toEqual(['A-1']);
  });

  it('people.import: a per-row report; all or nothing; the dry run changes nothing', async () => {
    const w = as(manager);
    await w.spaces.create({ externalId: 'IMP-1' });
    await w.spaces.create({ externalId: 'IMP-2' });
    const bad = [
      'externalId,name,department,space',
      'E-1,Eve,Sales,IMP-1',
      'E-2,"Quoted, Name",Ops,NOPE',
      'E-1,Dup,,',
    ].join('\r\n');
    const report = await w.people.import({ csv: bad });
    expect(report).toMatchObject({ applied: false, errors: 2 });
    expect(report.rows.map((r) => [r.line, r.action])).toEqual([
      [2, 'create'],
      [3, 'error'],
      [4, 'error'],
    ]);
    expect(report.rows[1]?.errors[0]).toMatch(/No space with the id NOPE/);
    expect(report.rows[2]?.errors[0]).toMatch(/earlier row/);
    expect((await w.people.list({ q: 'Eve' })).items).toHaveLength(0);

    const good = 'externalId,name,department,space\nE-1,Eve,Sales,IMP-1\nE-2,"Quoted, Name",Ops,IMP-2\n';
    const preview = await w.people.import({ csv: good, dryRun: true });
    expect(preview).toMatchObject({ applied: false, dryRun: true, created: 2, errors: 0 });
    expect((await w.people.list({ q: 'Eve' })).items).toHaveLength(0);
    const applied = await w.people.import({ csv: good });
    expect(applied).toMatchObject({ applied: true, created: 2, updated: 0 });
    const eve = (await w.people.list({ q: 'Eve' })).items[0];
    expect(eve).toMatchObject({
      externalId: 'E-1',
      data: { name: 'Eve', department: 'Sales' },
      assignedSpace: { externalId: 'IMP-1' },
    });
    // Again: the same ids update.
    const again = await w.people.import({ csv: 'externalId,name\nE-1,Eve Adams\n' });
    expect(again).toMatchObject({ applied: true, created: 0, updated: 1 });
    expect(await codeOf(w.people.import({ csv: 'bad header!,x\n1,2\n' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(w.people.import({ csv: 'name\n"never closed\n' }))).toBe('VALIDATION_ERROR');
  });

  it('rooms and people: keyset pages cover every row once; a search matches literally', async () => {
    const w = as(manager);
    for (const id of ['R-3', 'R-1', 'R-2', 'R_4'])
      await w.rooms.create({ externalId: id, roomName: `Room ${id}` });
    const first = await w.rooms.list({ limit: 2 });
    const second = await w.rooms.list({ limit: 2, cursor: first.nextCursor as string });
    expect([...first.items, ...second.items].map((r) => r.externalId)).toEqual(['R-1', 'R-2', 'R-3', 'R_4']);
    expect(second.nextCursor).toBeNull();
    // `_` is a LIKE wildcard: searching for it finds only the room that has one.
    expect((await w.rooms.list({ q: '_' })).items.map((r) => r.externalId)).toEqual(['R_4']);

    for (const name of ['Pager Ann', 'Pager Ben', 'Pager Cy']) await w.people.create({ data: { name } });
    const people1 = await w.people.list({ limit: 2, q: 'Pager' });
    const people2 = await w.people.list({ limit: 2, q: 'Pager', cursor: people1.nextCursor as string });
    expect([...people1.items, ...people2.items].map((p) => p.data.name)).toEqual([
      'Pager Cy',
      'Pager Ben',
      'Pager Ann',
    ]);
    expect(people2.nextCursor).toBeNull();
  });

  it('rooms: meeting toggle (validated times), page flip, each asking for the room article', async () => {
    const w = as(manager);
    const room = await w.rooms.create({ externalId: 'R1', roomName: 'Boardroom', labelCode: '0A0B0C0D0E0F' });
    expect(
      await codeOf(
        w.rooms.toggleMeeting({
          id: room.id,
          hasMeeting: true,
          meetingName: 'Plan',
          startTime: '10:00',
          endTime: '09:00',
        }),
      ),
    ).toBe('VALIDATION_ERROR');
    const on = await w.rooms.toggleMeeting({
      id: room.id,
      hasMeeting: true,
      meetingName: 'Planning',
      startTime: '09:00',
      endTime: '10:30',
      participants: ['Ada', 'Bob'],
    });
    expect(on).toMatchObject({ hasMeeting: true, meetingName: 'Planning', page: 2, syncStatus: 'pending' });
    const off = await w.rooms.toggleMeeting({ id: room.id, hasMeeting: false });
    expect(off).toMatchObject({ hasMeeting: false, meetingName: null, participants: [], page: 1 });
    expect((await w.rooms.flipPage({ id: room.id, page: 5 })).page).toBe(5);
    expect(await codeOf(w.rooms.flipPage({ id: room.id, page: 8 }))).toBe('VALIDATION_ERROR');
    const events = (await outbox(orgA)).filter((e) => e.aggregate_id === `${orgA}/CR1`);
    expect(events.map((e) => (e.payload as { reason: string }).reason)).toEqual([
      'created',
      'meeting',
      'meeting',
      'page',
    ]);
    expect(await codeOf(as(managerB).rooms.toggleMeeting({ id: room.id, hasMeeting: false }))).toBe(
      'NOT_FOUND',
    );
  });

  it('sync.trigger: one run per org at a time (a second trigger gets the running one), audited', async () => {
    const w = as(manager);
    const [one, two] = await Promise.all([w.sync.trigger({ entities: ['spaces'] }), w.sync.trigger({})]);
    expect(one.runId).toBe(two.runId);
    expect([one.alreadyRunning, two.alreadyRunning].sort()).toEqual([false, true]);
    expect((await w.sync.runs({})).items.map((r) => r.id)).toEqual([one.runId]);
    expect(await w.sync.run({ id: one.runId })).toMatchObject({ status: 'running' });
    expect((await w.sync.status()).running?.id).toBe(one.runId);
    expect(await codeOf(as(managerB).sync.run({ id: one.runId }))).toBe('NOT_FOUND');
    expect(await codeOf(as(managerB).sync.trigger({}))).toBe('NOT_FOUND'); // no connection
    const audit = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('org_id', '=', orgA)
      .execute();
    expect(audit.filter((a) => a.action === 'workplace.sync.triggered')).toHaveLength(1);

    // A run whose worker died no longer blocks the org once it is past its bound.
    await sql`UPDATE sync_runs SET started_at = now() - interval '1 hour' WHERE id = ${one.runId}`.execute(
      t.db,
    );
    const next = await w.sync.trigger({});
    expect(next).toMatchObject({ alreadyRunning: false });
    expect(next.runId).not.toBe(one.runId);
    expect(await w.sync.run({ id: one.runId })).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/Abandoned/),
    });
  });
});
