import packageJson from '../../package.json' with { type: 'json' };
import { publicProcedure, router } from '../trpc.ts';

export const systemRouter = router({
  /** What is running: version and which adapter serves each port (SPEC §0). */
  info: publicProcedure.query(({ ctx }) => ({
    name: 'atrium',
    version: packageJson.version,
    node: process.version,
    uptimeSeconds: Math.round(process.uptime()),
    environment: ctx.services.env.NODE_ENV,
    adapters: ctx.services.adapters,
  })),
});
