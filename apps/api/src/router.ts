import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { auditRouter } from './routers/audit.ts';
import { authRouter } from './routers/auth.ts';
import { creatorsRouter } from './routers/creators.ts';
import { devRouter } from './routers/dev.ts';
import { eventsRouter } from './routers/events.ts';
import { inboxRouter } from './routers/inbox.ts';
import { notificationsRouter } from './routers/notifications.ts';
import { opsRouter } from './routers/ops.ts';
import { rolesRouter } from './routers/roles.ts';
import { schedulerRouter } from './routers/scheduler.ts';
import { systemRouter } from './routers/system.ts';
import { usersRouter } from './routers/users.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  ops: opsRouter,
  system: systemRouter,
  dev: devRouter,
  audit: auditRouter,
  auth: authRouter,
  users: usersRouter,
  roles: rolesRouter,
  scheduler: schedulerRouter,
  events: eventsRouter,
  creators: creatorsRouter,
  notifications: notificationsRouter,
  inbox: inboxRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
