import packageJson from '../../package.json' with { type: 'json' };
import type { Context } from '../context.ts';
import { publicProcedure, router } from '../trpc.ts';

/**
 * Whether the caller may see how the platform runs (runtime, uptime, adapters): everyone outside
 * production, platform operators in production. A bad or missing token just means "no".
 */
async function seesPlatformDetail(ctx: Context): Promise<boolean> {
  if (ctx.services.env.NODE_ENV !== 'production') return true;
  const session = await ctx.services.authenticate(ctx.credentials).catch(() => null);
  return session?.platformRole === 'operator';
}

export const systemRouter = router({
  /** What is running: name and version for anyone; runtime and adapters (SPEC §0) for operators. */
  info: publicProcedure.query(async ({ ctx }) => ({
    name: 'atrium',
    version: packageJson.version,
    details: (await seesPlatformDetail(ctx))
      ? {
          environment: ctx.services.env.NODE_ENV,
          node: process.version,
          uptimeSeconds: Math.round(process.uptime()),
          adapters: ctx.services.adapters,
        }
      : null,
  })),
});
