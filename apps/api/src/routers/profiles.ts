import {
  getAvatars,
  getMyProfile,
  getPublicProfile,
  type ProfileDeps,
  setProfileFile,
  upsertMyProfile,
  ZAvatarsInput,
  ZPublicProfileInput,
  ZSetFileInput,
  ZUpsertProfileInput,
} from '@atrium/domain/profiles/profiles';
import type { Context } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';

function deps(ctx: Context): ProfileDeps {
  return {
    db: ctx.services.db,
    ...(ctx.services.objectStorage ? { storage: ctx.services.objectStorage } : {}),
  };
}

/** Profiles (SPEC §5, docs/files.md): every member has one. */
export const profilesRouter = router({
  me: authedProcedure.query(({ ctx }) => getMyProfile(deps(ctx), ctx.session)),
  upsertMe: authedProcedure
    .input(ZUpsertProfileInput)
    .mutation(({ ctx, input }) => upsertMyProfile(deps(ctx), ctx.session, input)),
  setAvatar: authedProcedure
    .input(ZSetFileInput)
    .mutation(({ ctx, input }) => setProfileFile(deps(ctx), ctx.session, 'avatar', input)),
  setTrack: authedProcedure
    .input(ZSetFileInput)
    .mutation(({ ctx, input }) => setProfileFile(deps(ctx), ctx.session, 'track', input)),
  public: authedProcedure
    .input(ZPublicProfileInput)
    .query(({ ctx, input }) => getPublicProfile(deps(ctx), ctx.session, input)),
  avatars: authedProcedure
    .input(ZAvatarsInput)
    .query(({ ctx, input }) => getAvatars(deps(ctx), ctx.session, input)),
});
