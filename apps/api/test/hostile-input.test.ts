import { PERMISSIONS } from '@atrium/domain/access/permissions';
import type { Session } from '@atrium/domain/access/session';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import type { AnyProcedure, AnyRouter } from '@trpc/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createInnerContext } from '../src/context.ts';
import { toAppError } from '../src/errors.ts';
import { appRouter } from '../src/router.ts';
import { createServices, type Services } from '../src/services.ts';
import { BULK_BODY_LIMITS } from '../src/transport.ts';
import { createCallerFactory } from '../src/trpc.ts';

import { testApiEnv } from './helpers.ts';
import { hostileVariants } from './hostile/arbitrary.ts';

/**
 * Every procedure of the router, fed what an attacker sends (SPEC §10): NUL bytes, huge text, forged
 * cursors, dates outside PostgreSQL's range, extreme numbers, wrong shapes. None may answer 500, and a
 * refused call writes nothing (no outbox event, no audit entry). The procedures are found by walking
 * the router — lazy routers loaded — so a procedure added later is walked without a new case.
 *
 * The caller is the most privileged there is (an org admin holding every permission and the
 * platform operator role), so calls get past the permission checks and into the use cases.
 */

interface RouterDef {
  procedures: Record<string, AnyProcedure>;
  lazy: Record<string, { load(): Promise<void> }>;
}

async function allProcedures(router: AnyRouter): Promise<Array<[string, AnyProcedure]>> {
  const def = (router as unknown as { _def: RouterDef })._def;
  for (let round = 0; round < 10 && Object.keys(def.lazy).length > 0; round += 1) {
    await Promise.all(Object.values(def.lazy).map((loader) => loader.load()));
  }
  return Object.entries(def.procedures).sort(([a], [b]) => a.localeCompare(b));
}

function inputSchemaOf(procedure: AnyProcedure): z.ZodType | undefined {
  const inputs = (procedure as unknown as { _def: { inputs: z.ZodType[] } })._def.inputs;
  return inputs[0];
}

/** Procedures whose plausible call would end the walk's own session or signal; nothing else is skipped. */
const NOT_WALKED = new Set<string>([]);

describe('hostile input on every procedure', async () => {
  const t = useTestDatabase();
  let services: Services;
  let session: Session;
  const procedures = await allProcedures(appRouter);
  const caller = createCallerFactory(appRouter);

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
    const org = await createTestOrg(t.db);
    const user = await createTestUser(t.db, { orgId: org.id, roles: ['admin'], platformRole: 'operator' });
    session = {
      userId: user.id,
      orgId: org.id,
      roles: ['admin'],
      permissions: new Set(PERMISSIONS),
      platformRole: 'operator',
      permissionVersion: 1,
    };
  });
  afterAll(() => services.close());

  it('finds the whole router, lazy parts included', () => {
    expect(procedures.length).toBeGreaterThan(60);
    for (const name of Object.keys(BULK_BODY_LIMITS)) {
      expect(
        procedures.some(([path]) => path === name),
        `BULK_BODY_LIMITS names ${name}`,
      ).toBe(true);
    }
  });

  const writes = async () => {
    const { rows } = await sql<{ outbox: string; audit: string }>`
      SELECT (SELECT count(*) FROM outbox_events) AS outbox, (SELECT count(*) FROM audit_entries) AS audit
    `.execute(t.db);
    return rows[0];
  };

  it.each(procedures.filter(([path]) => !NOT_WALKED.has(path)))(
    '%s: never 500, and a refused call changes nothing',
    async (path, procedure) => {
      const failures: string[] = [];
      for (const variant of hostileVariants(inputSchemaOf(procedure))) {
        const before = await writes();
        const call = caller(createInnerContext({ services, session, ip: '198.51.100.9' }));
        const target = path
          .split('.')
          .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], call);
        let refused = false;
        try {
          const result = await (target as (input: unknown) => Promise<unknown>)(variant.input);
          const iterator = result as AsyncIterator<unknown> | undefined;
          if (iterator && typeof iterator.return === 'function' && procedure._def.type === 'subscription') {
            await iterator.return(undefined);
          }
        } catch (error) {
          refused = true;
          const appError = toAppError(error);
          if (appError.code === 'INTERNAL') {
            const cause = appError.cause instanceof Error ? appError.cause.message : String(appError.cause);
            failures.push(`${variant.label}: 500 (${cause.slice(0, 160)})`);
          }
        }
        if (refused && variant.label !== 'plausible input') {
          const after = await writes();
          if (after?.outbox !== before?.outbox || after?.audit !== before?.audit) {
            failures.push(`${variant.label}: refused but wrote (${JSON.stringify({ before, after })})`);
          }
        }
      }
      expect(failures).toEqual([]);
    },
  );
});
