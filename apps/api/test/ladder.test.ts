import type { Permission } from '@atrium/domain/access/permissions';
import type { Session } from '@atrium/domain/access/session';
import { useTestDatabase } from '@atrium/testkit';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context.ts';
import { createServices, type Services } from '../src/services.ts';
import {
  authedProcedure,
  createCallerFactory,
  operatorProcedure,
  permissionProcedure,
  publicProcedure,
  router,
} from '../src/trpc.ts';
import { testApiEnv } from './helpers.ts';

const ladderRouter = router({
  open: publicProcedure.query(({ ctx }) => ({ caller: ctx.session?.userId ?? null })),
  me: authedProcedure.query(({ ctx }) => ({ userId: ctx.session.userId, orgId: ctx.session.orgId })),
  publish: permissionProcedure('content.publish').mutation(({ ctx }) => ({ by: ctx.session.userId })),
  queues: operatorProcedure.query(() => ({ queues: [] })),
});
const createCaller = createCallerFactory(ladderRouter);

function session(overrides: Partial<Session> & { permissions?: ReadonlySet<Permission> } = {}): Session {
  return {
    userId: '00000000-0000-4000-8000-000000000001',
    orgId: '00000000-0000-4000-8000-0000000000aa',
    roles: ['viewer'],
    permissions: new Set<Permission>(),
    platformRole: null,
    permissionVersion: 1,
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError)
      return `${error.code}:${(error.cause as { code?: string } | undefined)?.code}`;
    throw error;
  }
  return 'OK';
}

describe('procedure ladder', () => {
  const t = useTestDatabase();
  let services: Services;

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
  });
  afterAll(() => services.close());

  const callerFor = (s: Session | null) => createCaller(createInnerContext({ services, session: s }));

  it('public procedures need nobody', async () => {
    await expect(callerFor(null).open()).resolves.toEqual({ caller: null });
  });

  it('authed procedures refuse an anonymous caller with UNAUTHENTICATED', async () => {
    expect(await codeOf(callerFor(null).me())).toBe('UNAUTHORIZED:UNAUTHENTICATED');
    await expect(callerFor(session()).me()).resolves.toEqual({
      userId: session().userId,
      orgId: session().orgId,
    });
  });

  it('permission procedures refuse a caller without the permission with FORBIDDEN', async () => {
    expect(await codeOf(callerFor(null).publish())).toBe('UNAUTHORIZED:UNAUTHENTICATED');
    expect(await codeOf(callerFor(session({ permissions: new Set(['content.write']) })).publish())).toBe(
      'FORBIDDEN:FORBIDDEN',
    );
    await expect(
      callerFor(session({ permissions: new Set(['content.publish']) })).publish(),
    ).resolves.toEqual({ by: session().userId });
  });

  it('operator procedures refuse org admins and accept platform operators', async () => {
    const admin = session({ roles: ['admin'], permissions: new Set(['ops.read', 'ops.manage']) });
    expect(await codeOf(callerFor(admin).queues())).toBe('FORBIDDEN:FORBIDDEN');
    await expect(callerFor(session({ platformRole: 'operator' })).queues()).resolves.toEqual({ queues: [] });
  });

  it('authenticates through services.authenticate when no session is preset', async () => {
    const authenticated = { ...services, authenticate: async () => session({ userId: 'from-token' }) };
    const caller = createCaller(
      createInnerContext({ services: authenticated, credentials: { bearerToken: 'x' } }),
    );
    await expect(caller.me()).resolves.toMatchObject({ userId: 'from-token' });
  });
});
