import type { Permission } from '@atrium/domain/access/permissions';
import type { Session } from '@atrium/domain/access/session';
import { appendAuditBatch } from '@atrium/domain/audit/index';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, testSession } from '@atrium/testkit/factories';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context.ts';
import { auditRouter } from '../src/routers/audit.ts';
import { createServices, type Services } from '../src/services.ts';
import { createCallerFactory } from '../src/trpc.ts';
import { testApiEnv } from './helpers.ts';

const createCaller = createCallerFactory(auditRouter);
const AUDITOR = '00000000-0000-4000-8000-00000000a0d1';

describe('audit router', () => {
  const t = useTestDatabase();
  let services: Services;
  let orgA: string;
  let orgB: string;

  const session = (orgId: string, permissions: Permission[] = ['audit.read']): Session =>
    testSession({ userId: AUDITOR, orgId, roles: ['admin'], permissions });
  const callerFor = (s: Session | null) => createCaller(createInnerContext({ services, session: s }));

  async function seed(slug: string, count: number): Promise<string> {
    const org = await createTestOrg(t.db, { slug, name: slug, bare: true });
    const entries = Array.from({ length: count }, (_, i) => ({
      actorId: AUDITOR,
      action: 'role.updated' as const,
      resourceType: 'role',
      resourceId: `${slug}-role-${i + 1}`,
      payload: { permissions: ['audit.read'], i: i + 1 },
    }));
    await t.db.transaction().execute((trx) => appendAuditBatch(trx, org.id, entries));
    return org.id;
  }

  async function errorOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof TRPCError)
        return `${error.code}:${(error.cause as { code?: string } | undefined)?.code}`;
      throw error;
    }
    return 'OK';
  }

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
    orgA = await seed('audit-api-a', 12);
    orgB = await seed('audit-api-b', 3);
  });
  afterAll(() => services.close());

  it('audit.list and audit.verify need audit.read (403 FORBIDDEN otherwise, 401 when anonymous)', async () => {
    const withoutPermission = callerFor(session(orgA, ['users.manage', 'logs.read']));
    expect(await errorOf(withoutPermission.list({}))).toBe('FORBIDDEN:FORBIDDEN');
    expect(await errorOf(withoutPermission.verify())).toBe('FORBIDDEN:FORBIDDEN');
    expect(await errorOf(callerFor(null).list({}))).toBe('UNAUTHORIZED:UNAUTHENTICATED');
    expect(await errorOf(callerFor(null).verify())).toBe('UNAUTHORIZED:UNAUTHENTICATED');
  });

  it('audit.list returns only the caller’s org, newest first, with cursor paging', async () => {
    const caller = callerFor(session(orgB));
    const page = await caller.list({ limit: 2 });
    expect(page.items.map((i) => [i.seq, i.resourceId])).toEqual([
      [3, 'audit-api-b-role-3'],
      [2, 'audit-api-b-role-2'],
    ]);
    expect(page.items[0]).toMatchObject({
      actorId: AUDITOR,
      action: 'role.updated',
      resourceType: 'role',
      payload: { permissions: ['audit.read'], i: 3 },
    });
    expect(page.items[0]?.at).toBeInstanceOf(Date);
    const rest = await caller.list({ limit: 2, cursor: page.nextCursor ?? undefined });
    expect(rest.items.map((i) => i.seq)).toEqual([1]);
    expect(rest.nextCursor).toBeNull();

    // Filtering on a resource of org A from org B finds nothing: there is no way to reach A's rows.
    expect((await caller.list({ resourceId: 'audit-api-a-role-1' })).items).toEqual([]);
    const a = await callerFor(session(orgA)).list({ resourceType: 'role', resourceId: 'audit-api-a-role-1' });
    expect(a.items.map((i) => i.seq)).toEqual([1]);
  });

  it('audit.list answers bad filters with VALIDATION_ERROR, never a 500', async () => {
    const caller = callerFor(session(orgA));
    expect(await errorOf(caller.list({ limit: 500 }))).toBe('BAD_REQUEST:VALIDATION_ERROR');
    expect(await errorOf(caller.list({ actorId: 'nobody' }))).toBe('BAD_REQUEST:VALIDATION_ERROR');
    expect(await errorOf(caller.list({ cursor: 'abc' }))).toBe('BAD_REQUEST:VALIDATION_ERROR');
    expect(await errorOf(caller.list({ action: 'DROP TABLE' }))).toBe('BAD_REQUEST:VALIDATION_ERROR');
  });

  it('audit.verify reports an intact chain, then the first broken seq after an out-of-band UPDATE', async () => {
    await expect(callerFor(session(orgA)).verify()).resolves.toMatchObject({
      ok: true,
      entries: 12,
      headSeq: 12,
    });

    await t.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only`.execute(trx);
      await sql`UPDATE audit_entries SET payload = '{"permissions":["ops.manage"],"i":7}' WHERE org_id = ${orgA} AND seq = 7`.execute(
        trx,
      );
      await sql`ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only`.execute(trx);
    });

    await expect(callerFor(session(orgA)).verify()).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 7,
      reason: 'payload_mismatch',
      entriesChecked: 6,
      headSeq: 12,
    });
    // Org B's chain is its own, and untouched.
    await expect(callerFor(session(orgB)).verify()).resolves.toMatchObject({ ok: true, entries: 3 });
  });
});
