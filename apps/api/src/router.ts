import { type inferRouterInputs, type inferRouterOutputs, lazy } from '@trpc/server';
import { eventsRouter } from './routers/events.ts';
import { systemRouter } from './routers/system.ts';
import { router } from './trpc.ts';

/**
 * Feature routers load on their first call (tRPC's `lazy`): a replica that has not served a module yet
 * does not hold its code, zod schemas and domain use cases in memory (SPEC §13 idle RSS). The first
 * call into each pays the import once (a few ms); types are unaffected. `system` (health, adapters)
 * and `events` (the SSE feed every client opens, whose hub starts with the process) stay eager.
 */
export const appRouter = router({
  ops: lazy(() => import('./routers/ops.ts').then((m) => m.opsRouter)),
  system: systemRouter,
  dev: lazy(() => import('./routers/dev.ts').then((m) => m.devRouter)),
  audit: lazy(() => import('./routers/audit.ts').then((m) => m.auditRouter)),
  auth: lazy(() => import('./routers/auth.ts').then((m) => m.authRouter)),
  users: lazy(() => import('./routers/users.ts').then((m) => m.usersRouter)),
  roles: lazy(() => import('./routers/roles.ts').then((m) => m.rolesRouter)),
  scheduler: lazy(() => import('./routers/scheduler.ts').then((m) => m.schedulerRouter)),
  events: eventsRouter,
  creators: lazy(() => import('./routers/creators.ts').then((m) => m.creatorsRouter)),
  notifications: lazy(() => import('./routers/notifications.ts').then((m) => m.notificationsRouter)),
  inbox: lazy(() => import('./routers/inbox.ts').then((m) => m.inboxRouter)),
  orgs: lazy(() => import('./routers/orgs.ts').then((m) => m.orgsRouter)),
  apiKeys: lazy(() => import('./routers/api-keys.ts').then((m) => m.apiKeysRouter)),
  logs: lazy(() => import('./routers/logs.ts').then((m) => m.logsRouter)),
  alertRules: lazy(() => import('./routers/alert-rules.ts').then((m) => m.alertRulesRouter)),
  incidents: lazy(() => import('./routers/incidents.ts').then((m) => m.incidentsRouter)),
  workplace: lazy(() => import('./routers/workplace.ts').then((m) => m.workplaceRouter)),
  content: lazy(() => import('./routers/content.ts').then((m) => m.contentRouter)),
  media: lazy(() => import('./routers/content.ts').then((m) => m.mediaRouter)),
  categories: lazy(() => import('./routers/content.ts').then((m) => m.categoriesRouter)),
  discovery: lazy(() => import('./routers/discovery.ts').then((m) => m.discoveryRouter)),
  imports: lazy(() => import('./routers/imports.ts').then((m) => m.importsRouter)),
  ingest: lazy(() => import('./routers/datasets.ts').then((m) => m.ingestRouter)),
  datasets: lazy(() => import('./routers/datasets.ts').then((m) => m.datasetsRouter)),
  assets: lazy(() => import('./routers/datasets.ts').then((m) => m.assetsRouter)),
  files: lazy(() => import('./routers/files.ts').then((m) => m.filesRouter)),
  profiles: lazy(() => import('./routers/profiles.ts').then((m) => m.profilesRouter)),
  todos: lazy(() => import('./routers/todos.ts').then((m) => m.todosRouter)),
  home: lazy(() => import('./routers/home.ts').then((m) => m.homeRouter)),
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
