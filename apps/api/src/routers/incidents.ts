import {
  acknowledgeIncident,
  countOpenIncidents,
  getIncident,
  listIncidents,
  resolveIncident,
  ZIncidentActionInput,
  ZIncidentIdInput,
  ZListIncidentsInput,
} from '@atrium/domain/logging/incidents';
import type { Context } from '../context.ts';
import { permissionProcedure, router } from '../trpc.ts';

const manage = permissionProcedure('incidents.manage');
const deps = (ctx: Context) => ({
  db: ctx.services.db,
  realtime: ctx.services.realtime.publisher,
  log: ctx.logger,
});

/**
 * Incidents (SPEC §7): the org's, for holders of `incidents.manage`; operators also see and act on
 * every incident of the built-in platform rules (`scope: 'platform'`). Acknowledge and resolve are
 * audited and take an optional note.
 */
export const incidentsRouter = router({
  list: manage
    .input(ZListIncidentsInput.optional())
    .query(({ ctx, input }) => listIncidents(deps(ctx), ctx.session, input ?? {})),
  get: manage.input(ZIncidentIdInput).query(({ ctx, input }) => getIncident(deps(ctx), ctx.session, input)),
  acknowledge: manage
    .input(ZIncidentActionInput)
    .mutation(({ ctx, input }) => acknowledgeIncident(deps(ctx), ctx.session, input)),
  resolve: manage
    .input(ZIncidentActionInput)
    .mutation(({ ctx, input }) => resolveIncident(deps(ctx), ctx.session, input)),
  /** Open (not yet resolved) incidents, for the Ops overview and the navigation badge. */
  openCount: manage.query(({ ctx }) => countOpenIncidents(ctx.services.db, ctx.session)),
});
