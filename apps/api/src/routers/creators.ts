import {
  applyForCreator,
  approveApplication,
  getApplication,
  getMyApplication,
  listDecidedApplications,
  listPendingApplications,
  rejectApplication,
  withdrawApplication,
  ZApplicationIdInput,
  ZApplyInput,
  ZApproveInput,
  ZListDecidedInput,
  ZListPendingInput,
  ZRejectInput,
} from '@atrium/domain/creators/applications';
import { listMyContent, ZMyContentInput } from '@atrium/domain/creators/content';
import { authedProcedure, permissionProcedure, router } from '../trpc.ts';

const review = permissionProcedure('creators.review');

/** The creator programme (SPEC §3, docs/creators.md). */
export const creatorsRouter = router({
  // SPEC §3's `creators.apply`. tRPC reserves `apply` (with `call` and `then`: its client is a Proxy
  // of functions), so the procedure is `creators.submitApplication` (docs/creators.md). Any signed-in
  // member may apply (viewers are the audience); one open application at a time.
  submitApplication: authedProcedure
    .input(ZApplyInput)
    .mutation(({ ctx, input }) => applyForCreator({ db: ctx.services.db }, ctx.session, input)),
  myApplication: authedProcedure.query(({ ctx }) => getMyApplication({ db: ctx.services.db }, ctx.session)),
  withdraw: authedProcedure
    .input(ZApplicationIdInput)
    .mutation(({ ctx, input }) => withdrawApplication({ db: ctx.services.db }, ctx.session, input)),

  listPending: review
    .input(ZListPendingInput.optional())
    .query(({ ctx, input }) => listPendingApplications({ db: ctx.services.db }, ctx.session, input ?? {})),
  // Beyond SPEC §3: the review history, so reviewers can look back at what was decided (docs/creators.md).
  listDecided: review
    .input(ZListDecidedInput.optional())
    .query(({ ctx, input }) => listDecidedApplications({ db: ctx.services.db }, ctx.session, input ?? {})),
  get: review
    .input(ZApplicationIdInput)
    .query(({ ctx, input }) => getApplication({ db: ctx.services.db }, ctx.session, input)),
  approve: review
    .input(ZApproveInput)
    .mutation(({ ctx, input }) => approveApplication({ db: ctx.services.db }, ctx.session, input)),
  reject: review
    .input(ZRejectInput)
    .mutation(({ ctx, input }) => rejectApplication({ db: ctx.services.db }, ctx.session, input)),

  /** The creator's own content, every status: gated on content.write. */
  myContent: permissionProcedure('content.write')
    .input(ZMyContentInput.optional())
    .query(({ ctx, input }) =>
      listMyContent({ db: ctx.services.db, cache: ctx.services.content.cache }, ctx.session, input ?? {}),
    ),
});
