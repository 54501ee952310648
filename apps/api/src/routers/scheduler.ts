import type { Session } from '@atrium/domain/access/session';
import { systemClock } from '@atrium/domain/platform/clock';
import {
  builtInScheduleHandlers,
  createSchedule,
  createScheduleHandlerRegistry,
  deleteSchedule,
  getSchedule,
  listScheduleRuns,
  listSchedules,
  pauseSchedule,
  previewTiming,
  resumeSchedule,
  SCHEDULE_DEFAULTS,
  type SchedulingDeps,
  triggerScheduleNow,
  unquarantineSchedule,
  updateSchedule,
  ZCreateScheduleInput,
  ZListScheduleRunsInput,
  ZListSchedulesInput,
  ZPreviewTimingInput,
  ZScheduleIdInput,
  ZUpdateScheduleInput,
} from '@atrium/domain/scheduling/index';
import type { Context } from '../context.ts';
import { permissionProcedure, router } from '../trpc.ts';

/**
 * Schedules and their runs (SPEC §8). Schedules are platform-wide, so every procedure needs
 * `scheduler.manage` (platform operators); each change is audited in the platform chain.
 * Handler names are checked against the handlers the scheduler ships.
 */
const handlers = createScheduleHandlerRegistry(builtInScheduleHandlers());
const manage = permissionProcedure('scheduler.manage');

const deps = (ctx: Context): SchedulingDeps => ({ db: ctx.services.db, clock: systemClock, handlers });
const actorOf = (session: Session) => ({ userId: session.userId, orgId: session.orgId });

export const schedulerRouter = router({
  /** The handlers a schedule can name, for the create form. */
  handlers: manage.query(() =>
    handlers.names().map((name) => ({
      name,
      description: handlers.get(name)?.description ?? null,
      takesPayload: handlers.get(name)?.payload !== undefined,
    })),
  ),

  /** What a new schedule gets for the settings it leaves out: the create form starts from them. */
  defaults: manage.query(() => SCHEDULE_DEFAULTS),

  list: manage.input(ZListSchedulesInput).query(({ ctx, input }) => listSchedules(ctx.services.db, input)),

  get: manage.input(ZScheduleIdInput).query(({ ctx, input }) => getSchedule(ctx.services.db, input)),

  /** Newest first, one row per attempt (and `skipped` rows for missed slots). */
  runs: manage
    .input(ZListScheduleRunsInput)
    .query(({ ctx, input }) => listScheduleRuns(ctx.services.db, input)),

  create: manage
    .input(ZCreateScheduleInput)
    .mutation(({ ctx, input }) => createSchedule(deps(ctx), { ...input, actor: actorOf(ctx.session) })),

  update: manage
    .input(ZUpdateScheduleInput)
    .mutation(({ ctx, input }) => updateSchedule(deps(ctx), { ...input, actor: actorOf(ctx.session) })),

  pause: manage
    .input(ZScheduleIdInput)
    .mutation(({ ctx, input }) => pauseSchedule(deps(ctx), { id: input.id, actor: actorOf(ctx.session) })),

  resume: manage
    .input(ZScheduleIdInput)
    .mutation(({ ctx, input }) => resumeSchedule(deps(ctx), { id: input.id, actor: actorOf(ctx.session) })),

  /** One immediate occurrence, run by exactly one scheduler replica. */
  triggerNow: manage
    .input(ZScheduleIdInput)
    .mutation(({ ctx, input }) =>
      triggerScheduleNow(deps(ctx), { id: input.id, actor: actorOf(ctx.session) }),
    ),

  unquarantine: manage
    .input(ZScheduleIdInput)
    .mutation(({ ctx, input }) =>
      unquarantineSchedule(deps(ctx), { id: input.id, actor: actorOf(ctx.session) }),
    ),

  /** Deletes a schedule and its runs (not a built-in one; not while it runs). */
  delete: manage
    .input(ZScheduleIdInput)
    .mutation(({ ctx, input }) => deleteSchedule(deps(ctx), { id: input.id, actor: actorOf(ctx.session) })),

  /**
   * A timing in plain words and its next run times (instants; shown in the schedule's time zone):
   * for a saved schedule's page and for the form while it is being filled in.
   */
  preview: manage.input(ZPreviewTimingInput).query(({ input }) => previewTiming(input, systemClock.now())),
});
