import { getHomeSummary } from '@atrium/domain/home/summary';
import { authedProcedure, router } from '../trpc.ts';

/** `home.*`: the Home page's numbers for whoever is signed in (docs/home.md). */
export const homeRouter = router({
  summary: authedProcedure.query(({ ctx }) => getHomeSummary({ db: ctx.services.db }, ctx.session)),
});
