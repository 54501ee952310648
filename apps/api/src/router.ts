import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { systemRouter } from './routers/system.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
