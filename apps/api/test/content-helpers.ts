import type { Database } from '@atrium/db';
import type { Session } from '@atrium/domain/access/session';
import { createTestUser, sessionOf } from '@atrium/testkit/factories';
import type { Kysely } from 'kysely';
import { createInnerContext } from '../src/context.ts';
import { appRouter } from '../src/router.ts';
import type { Services } from '../src/services.ts';
import { createCallerFactory } from '../src/trpc.ts';

const createCaller = createCallerFactory(appRouter);

/** The real router as this session (null: an anonymous visitor), without HTTP. */
export function callerAs(services: Services, session: Session | null) {
  return createCaller(createInnerContext({ services, session }));
}

/** A member of the org with these roles, and their session as identity builds it. */
export async function member(
  db: Kysely<Database>,
  orgId: string,
  roles: string[],
  name = 'Test User',
  platformRole?: 'operator',
) {
  const user = await createTestUser(db, { orgId, roles, name, ...(platformRole ? { platformRole } : {}) });
  return { user, session: await sessionOf(db, user.id) };
}

export const YOUTUBE_URL = (id: string) => `https://www.youtube.com/watch?v=${id}`;
