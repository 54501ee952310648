import {
  configureAimsConnection,
  getAimsConnection,
  testAimsConnection,
  type WorkplaceDeps,
  ZConfigureAimsInput,
  ZTestAimsInput,
} from '@atrium/domain/workplace/connection';
import {
  getSyncRun,
  listSyncRuns,
  triggerFullSync,
  ZListRunsInput,
  ZTriggerSyncInput,
} from '@atrium/domain/workplace/full-sync';
import { ZIdInput } from '@atrium/domain/workplace/inputs';
import {
  assignPerson,
  createPerson,
  deletePerson,
  getPerson,
  importPeople,
  listPeople,
  unassignPerson,
  updatePerson,
  ZAssignInput,
  ZCreatePersonInput,
  ZImportPeopleInput,
  ZListPeopleInput,
  ZUnassignInput,
  ZUpdatePersonInput,
} from '@atrium/domain/workplace/people';
import {
  createRoom,
  deleteRoom,
  flipRoomPage,
  getRoom,
  listRooms,
  toggleMeeting,
  updateRoom,
  ZCreateRoomInput,
  ZFlipPageInput,
  ZListRoomsInput,
  ZToggleMeetingInput,
  ZUpdateRoomInput,
} from '@atrium/domain/workplace/rooms';
import {
  createSpace,
  deleteSpace,
  getSpace,
  listSpaces,
  updateSpace,
  ZCreateSpaceInput,
  ZListSpacesInput,
  ZUpdateSpaceInput,
} from '@atrium/domain/workplace/spaces';
import { getSyncStatus, retrySync, ZRetrySyncInput } from '@atrium/domain/workplace/status';
import type { InnerContext } from '../context.ts';
import { heavy, permissionProcedure, router } from '../trpc.ts';

const write = permissionProcedure('workplace.write');
const sync = permissionProcedure('workplace.sync');

function deps(ctx: InnerContext): WorkplaceDeps {
  const allow = ctx.services.env.AIMS_ALLOW_PRIVATE_HOSTS;
  return {
    db: ctx.services.db,
    realtime: ctx.services.realtime.publisher,
    log: ctx.logger,
    aimsHosts: {
      allowPrivateHosts:
        allow === undefined ? ctx.services.env.NODE_ENV !== 'production' : allow === 'true' || allow === '1',
    },
  };
}

/** The workplace and its SoluM AIMS sync (SPEC §9, docs/workplace.md). */
export const workplaceRouter = router({
  aims: router({
    get: sync.query(({ ctx }) => getAimsConnection(deps(ctx), ctx.session)),
    configure: sync
      .input(ZConfigureAimsInput)
      .mutation(({ ctx, input }) => configureAimsConnection(deps(ctx), ctx.session, input)),
    // Really asks AIMS for a token: at most a few at once per caller.
    test: sync
      .use(heavy)
      .input(ZTestAimsInput)
      .mutation(({ ctx, input }) => testAimsConnection(deps(ctx), ctx.session, input)),
  }),
  spaces: router({
    list: write.input(ZListSpacesInput).query(({ ctx, input }) => listSpaces(deps(ctx), ctx.session, input)),
    get: write.input(ZIdInput).query(({ ctx, input }) => getSpace(deps(ctx), ctx.session, input)),
    create: write
      .input(ZCreateSpaceInput)
      .mutation(({ ctx, input }) => createSpace(deps(ctx), ctx.session, input)),
    update: write
      .input(ZUpdateSpaceInput)
      .mutation(({ ctx, input }) => updateSpace(deps(ctx), ctx.session, input)),
    delete: write.input(ZIdInput).mutation(({ ctx, input }) => deleteSpace(deps(ctx), ctx.session, input)),
  }),
  people: router({
    list: write.input(ZListPeopleInput).query(({ ctx, input }) => listPeople(deps(ctx), ctx.session, input)),
    get: write.input(ZIdInput).query(({ ctx, input }) => getPerson(deps(ctx), ctx.session, input)),
    create: write
      .input(ZCreatePersonInput)
      .mutation(({ ctx, input }) => createPerson(deps(ctx), ctx.session, input)),
    update: write
      .input(ZUpdatePersonInput)
      .mutation(({ ctx, input }) => updatePerson(deps(ctx), ctx.session, input)),
    delete: write.input(ZIdInput).mutation(({ ctx, input }) => deletePerson(deps(ctx), ctx.session, input)),
    // A CSV of up to 5,000 rows: checked and applied in one transaction.
    import: write
      .use(heavy)
      .input(ZImportPeopleInput)
      .mutation(({ ctx, input }) => importPeople(deps(ctx), ctx.session, input)),
    assign: write
      .input(ZAssignInput)
      .mutation(({ ctx, input }) => assignPerson(deps(ctx), ctx.session, input)),
    unassign: write
      .input(ZUnassignInput)
      .mutation(({ ctx, input }) => unassignPerson(deps(ctx), ctx.session, input)),
  }),
  rooms: router({
    list: write.input(ZListRoomsInput).query(({ ctx, input }) => listRooms(deps(ctx), ctx.session, input)),
    get: write.input(ZIdInput).query(({ ctx, input }) => getRoom(deps(ctx), ctx.session, input)),
    create: write
      .input(ZCreateRoomInput)
      .mutation(({ ctx, input }) => createRoom(deps(ctx), ctx.session, input)),
    update: write
      .input(ZUpdateRoomInput)
      .mutation(({ ctx, input }) => updateRoom(deps(ctx), ctx.session, input)),
    delete: write.input(ZIdInput).mutation(({ ctx, input }) => deleteRoom(deps(ctx), ctx.session, input)),
    toggleMeeting: write
      .input(ZToggleMeetingInput)
      .mutation(({ ctx, input }) => toggleMeeting(deps(ctx), ctx.session, input)),
    flipPage: write
      .input(ZFlipPageInput)
      .mutation(({ ctx, input }) => flipRoomPage(deps(ctx), ctx.session, input)),
  }),
  sync: router({
    /** 202 semantics: the run id answers at once; the run happens in the worker. */
    trigger: sync
      .input(ZTriggerSyncInput)
      .mutation(({ ctx, input }) => triggerFullSync(deps(ctx), ctx.session, input)),
    status: sync.query(({ ctx }) => getSyncStatus(deps(ctx), ctx.session)),
    runs: sync.input(ZListRunsInput).query(({ ctx, input }) => listSyncRuns(deps(ctx), ctx.session, input)),
    run: sync.input(ZIdInput).query(({ ctx, input }) => getSyncRun(deps(ctx), ctx.session, input)),
    retry: sync.input(ZRetrySyncInput).mutation(({ ctx, input }) => retrySync(deps(ctx), ctx.session, input)),
  }),
});
