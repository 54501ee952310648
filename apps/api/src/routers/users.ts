import {
  inviteUser,
  listInvitations,
  resendInvitation,
  revokeInvitation,
  ZInvitationIdInput,
  ZInviteUserInput,
  ZListInvitationsInput,
} from '@atrium/domain/identity/invitations';
import { getMyProfile, updateMyProfile, ZUpdateMeInput } from '@atrium/domain/identity/profile';
import {
  disableUser,
  enableUser,
  getUser,
  listUsers,
  setUserRoles,
  ZListUsersInput,
  ZSetUserRolesInput,
  ZUserIdInput,
} from '@atrium/domain/identity/user-admin';
import {
  listUserSessions,
  revokeAllUserSessions,
  revokeUserSession,
  ZRevokeUserSessionInput,
  ZUserSessionsInput,
} from '@atrium/domain/identity/user-sessions';
import { authedProcedure, permissionProcedure, router, sessionProcedure } from '../trpc.ts';

const manage = permissionProcedure('users.manage');

/** The caller's own account, and user administration within the caller's org (SPEC §1). */
export const usersRouter = router({
  /** Allowed while a password change is pending, so the app can see that it is. */
  me: sessionProcedure.query(({ ctx }) => getMyProfile(ctx.services.identity, ctx.session)),
  updateMe: authedProcedure
    .input(ZUpdateMeInput)
    .mutation(({ ctx, input }) => updateMyProfile(ctx.services.identity, ctx.session, input)),

  /**
   * An emailed invitation (SPEC §1): the same answer whether or not the address has an account in
   * another org; it counts against the org's hourly email quota.
   */
  invite: manage
    .input(ZInviteUserInput)
    .mutation(({ ctx, input }) => inviteUser(ctx.services.identity, ctx.session, input)),
  invitations: router({
    list: manage
      .input(ZListInvitationsInput.optional())
      .query(({ ctx, input }) => listInvitations(ctx.services.identity, ctx.session, input ?? {})),
    resend: manage
      .input(ZInvitationIdInput)
      .mutation(({ ctx, input }) => resendInvitation(ctx.services.identity, ctx.session, input)),
    revoke: manage
      .input(ZInvitationIdInput)
      .mutation(({ ctx, input }) => revokeInvitation(ctx.services.identity, ctx.session, input)),
  }),
  list: manage
    .input(ZListUsersInput.optional())
    .query(({ ctx, input }) => listUsers(ctx.services.identity, ctx.session, input ?? {})),
  get: manage
    .input(ZUserIdInput)
    .query(({ ctx, input }) => getUser(ctx.services.identity, ctx.session, input)),
  disable: manage
    .input(ZUserIdInput)
    .mutation(({ ctx, input }) => disableUser(ctx.services.identity, ctx.session, input)),
  enable: manage
    .input(ZUserIdInput)
    .mutation(({ ctx, input }) => enableUser(ctx.services.identity, ctx.session, input)),
  setRoles: manage
    .input(ZSetUserRolesInput)
    .mutation(({ ctx, input }) => setUserRoles(ctx.services.identity, ctx.session, input)),
  /** A member's live sessions (refresh-token families), and ending one or all of them. */
  sessions: router({
    list: manage
      .input(ZUserSessionsInput)
      .query(({ ctx, input }) => listUserSessions(ctx.services.identity, ctx.session, input)),
    revoke: manage
      .input(ZRevokeUserSessionInput)
      .mutation(({ ctx, input }) => revokeUserSession(ctx.services.identity, ctx.session, input)),
    revokeAll: manage
      .input(ZUserSessionsInput)
      .mutation(({ ctx, input }) => revokeAllUserSessions(ctx.services.identity, ctx.session, input)),
  }),
});
