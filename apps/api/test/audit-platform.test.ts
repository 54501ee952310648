import type { Session } from '@atrium/domain/access/session';
import { auditIntegrityReport, PLATFORM_AUDIT_CHAIN } from '@atrium/domain/audit/index';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context.ts';
import { appRouter } from '../src/router.ts';
import { createServices, type Services } from '../src/services.ts';
import { createCallerFactory } from '../src/trpc.ts';
import { testApiEnv } from './helpers.ts';
import { codeOf } from './ops-helpers.ts';

const createCaller = createCallerFactory(appRouter);

/**
 * Platform operators' actions go to the platform audit chain (SPEC §8), not to the chain of the org
 * the operator happens to belong to; operators read it (and its actors by name), org admins cannot.
 */
describe('platform audit chain', () => {
  const t = useTestDatabase();
  let services: Services;
  let orgId: string;
  let operator: Session;
  let admin: Session;

  const callerFor = (session: Session) => createCaller(createInnerContext({ services, session }));

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
    orgId = (await createTestOrg(t.db, { name: 'Operators Home' })).id;
    const olga = await createTestUser(t.db, { orgId, name: 'Olga Operator', platformRole: 'operator' });
    operator = testSession({
      userId: olga.id,
      orgId,
      roles: ['viewer'],
      permissions: ['ops.read', 'ops.manage', 'scheduler.manage', 'audit.read'],
      platformRole: 'operator',
    });
    const ada = await createTestUser(t.db, { orgId, name: 'Ada Admin', roles: ['admin'] });
    admin = testSession({ userId: ada.id, orgId, roles: ['admin'], permissions: ['audit.read'] });
  });
  afterAll(() => services.close());

  it("records an operator's queue pause and schedule change in the platform chain, not their org's", async () => {
    const ops = callerFor(operator);
    await ops.ops.pauseQueue({ queue: 'ops.pipeline-probe' });
    await ops.ops.resumeQueue({ queue: 'ops.pipeline-probe' });
    const schedule = await ops.scheduler.create({
      name: 'platform-audit-probe',
      handler: 'audit.integrity-report',
      kind: 'interval',
      intervalSeconds: 3600,
    });
    await ops.scheduler.pause({ id: schedule.id });

    const platform = await ops.audit.list({ chain: 'platform' });
    expect(platform.items.map((e) => e.action)).toEqual([
      'scheduler.schedule.paused',
      'scheduler.schedule.created',
      'ops.queue.resumed',
      'ops.queue.paused',
    ]);
    expect(new Set(platform.items.map((e) => e.actorName))).toEqual(new Set(['Olga Operator']));
    // The operator's own org chain holds none of it.
    const own = await callerFor(admin).audit.list({});
    expect(
      own.items.map((e) => e.action).filter((a) => a.startsWith('ops.') || a.startsWith('scheduler.')),
    ).toEqual([]);
    expect(await ops.audit.verify({ chain: 'platform' })).toMatchObject({ ok: true, entries: 4 });
    const report = await auditIntegrityReport(t.db);
    expect(report.orgs.find((o) => o.orgId === PLATFORM_AUDIT_CHAIN)).toMatchObject({ ok: true });

    // Filter lists and the CSV export read the same chain, with names.
    const options = await ops.audit.filterOptions({ chain: 'platform' });
    expect(options.actions).toEqual([
      'ops.queue.paused',
      'ops.queue.resumed',
      'scheduler.schedule.created',
      'scheduler.schedule.paused',
    ]);
    expect(options.actors).toEqual([{ id: operator.userId, name: 'Olga Operator' }]);
    const exported = await ops.audit.exportCsv({ chain: 'platform', action: 'ops.queue.paused' });
    expect(exported).toMatchObject({ rows: 1, truncated: false });
    const [header, line] = exported.csv.trim().split('\r\n');
    expect(header).toBe(
      'seq,at,actor_id,actor_name,action,resource_type,resource_id,payload,payload_hash,prev_checksum,checksum',
    );
    expect(line).toContain(`,${operator.userId},Olga Operator,ops.queue.paused,queue,ops.pipeline-probe,`);
  });

  it('is for operators only: an org admin asking for it gets 403', async () => {
    expect(await codeOf(callerFor(admin).audit.list({ chain: 'platform' }))).toBe('FORBIDDEN');
    expect(await codeOf(callerFor(admin).audit.verify({ chain: 'platform' }))).toBe('FORBIDDEN');
    expect(await codeOf(callerFor(admin).audit.exportCsv({ chain: 'platform' }))).toBe('FORBIDDEN');
  });

  it("still removes an org's chain with the org, and refuses a chain for an org that does not exist", async () => {
    const gone = await createTestOrg(t.db, { name: 'Short Lived' });
    await createTestUser(t.db, { orgId: gone.id, name: 'Temp', roles: ['admin'] });
    await t.db.transaction().execute(async (trx) => {
      const { appendAudit } = await import('@atrium/domain/audit/index');
      await appendAudit(trx, { orgId: gone.id, actorId: null, action: 'role.updated', resourceType: 'role' });
    });
    await t.db.deleteFrom('orgs').where('id', '=', gone.id).execute();
    const left = await t.db.selectFrom('audit_entries').select('seq').where('org_id', '=', gone.id).execute();
    expect(left).toEqual([]);
    await expect(
      t.db.transaction().execute(async (trx) => {
        const { appendAudit } = await import('@atrium/domain/audit/index');
        await appendAudit(trx, {
          orgId: gone.id,
          actorId: null,
          action: 'role.updated',
          resourceType: 'role',
        });
      }),
    ).rejects.toThrow(/unknown org/);
  });
});
