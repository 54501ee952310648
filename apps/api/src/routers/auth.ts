import { UnauthenticatedError } from '@atrium/domain/errors';
import { changePassword, ZChangePasswordInput } from '@atrium/domain/identity/change-password';
import {
  acceptInvitation,
  previewInvitation,
  ZAcceptInvitationInput,
  ZInvitationTokenInput,
} from '@atrium/domain/identity/invitations';
import { loginUser, ZLoginInput } from '@atrium/domain/identity/login';
import { registerUser, ZRegisterInput } from '@atrium/domain/identity/register';
import {
  requestPasswordReset,
  resetPassword,
  ZRequestPasswordResetInput,
  ZResetPasswordInput,
} from '@atrium/domain/identity/reset-password';
import { endSession, refreshSession } from '@atrium/domain/identity/sessions';
import {
  resendVerification,
  verifyEmail,
  ZResendVerificationInput,
  ZVerifyEmailInput,
} from '@atrium/domain/identity/verification';
import { z } from 'zod';
import { clearRefreshCookie, setDeviceCookie } from '../auth/cookies.ts';
import { originOf, respondWithSession, ZRefreshTokenDelivery } from '../auth/session-response.ts';
import { publicProcedure, router, sessionProcedure } from '../trpc.ts';

const ZRefreshTokenBody = z.object({ refreshToken: z.string().min(20).max(200).optional() });

/** Sign-up, verification, sign-in, sessions and passwords (SPEC §1). Each procedure is one domain call. */
export const authRouter = router({
  register: publicProcedure
    .input(ZRegisterInput)
    .mutation(({ ctx, input }) => registerUser(ctx.services.identity, { ...input, origin: originOf(ctx) })),

  verifyEmail: publicProcedure
    .input(ZVerifyEmailInput)
    .mutation(({ ctx, input }) => verifyEmail(ctx.services.identity, input)),

  resendVerification: publicProcedure
    .input(ZResendVerificationInput)
    .mutation(({ ctx, input }) =>
      resendVerification(ctx.services.identity, { ...input, origin: originOf(ctx) }),
    ),

  login: publicProcedure
    .input(ZLoginInput.extend({ refreshTokenIn: ZRefreshTokenDelivery }))
    .mutation(async ({ ctx, input }) => {
      const { deviceCookie, ...session } = await loginUser(ctx.services.identity, {
        ...input,
        origin: originOf(ctx),
        deviceCookie: ctx.credentials.deviceCookie ?? null,
      });
      setDeviceCookie(ctx.res, { value: deviceCookie, secure: ctx.services.env.COOKIE_SECURE });
      return respondWithSession(ctx, session, input.refreshTokenIn);
    }),

  /** Rotates the refresh token (cookie, or `refreshToken` in the body) into a new pair. */
  refresh: publicProcedure.input(ZRefreshTokenBody.optional()).mutation(async ({ ctx, input }) => {
    const fromBody = input?.refreshToken;
    const refreshToken = fromBody ?? ctx.credentials.refreshToken;
    const secure = ctx.services.env.COOKIE_SECURE;
    if (!refreshToken) throw new UnauthenticatedError('Your session has ended; sign in again');
    try {
      const session = await refreshSession(ctx.services.identity, { refreshToken, origin: originOf(ctx) });
      return respondWithSession(ctx, session, fromBody ? 'body' : 'cookie');
    } catch (error) {
      if (!fromBody) clearRefreshCookie(ctx.res, { secure });
      throw error;
    }
  }),

  /** Ends the session family of the presented refresh token and clears the cookie. */
  logout: publicProcedure.input(ZRefreshTokenBody.optional()).mutation(async ({ ctx, input }) => {
    await endSession(ctx.services.identity, {
      refreshToken: input?.refreshToken ?? ctx.credentials.refreshToken ?? null,
    });
    clearRefreshCookie(ctx.res, { secure: ctx.services.env.COOKIE_SECURE });
    return { signedOut: true as const };
  }),

  /** Allowed while a password change is pending — it is how that ends. Returns a fresh session. */
  changePassword: sessionProcedure
    .input(ZChangePasswordInput.extend({ refreshTokenIn: ZRefreshTokenDelivery }))
    .mutation(async ({ ctx, input }) => {
      const session = await changePassword(ctx.services.identity, ctx.session, {
        ...input,
        origin: originOf(ctx),
      });
      return respondWithSession(ctx, session, input.refreshTokenIn);
    }),

  /** What an invitation link offers (its owner opens it before choosing a password). */
  invitation: publicProcedure
    .input(ZInvitationTokenInput)
    .mutation(({ ctx, input }) => previewInvitation(ctx.services.identity, input)),

  /** Accepts an invitation: the member is created with their own password and signed in. */
  acceptInvitation: publicProcedure
    .input(ZAcceptInvitationInput.extend({ refreshTokenIn: ZRefreshTokenDelivery }))
    .mutation(async ({ ctx, input }) => {
      const session = await acceptInvitation(ctx.services.identity, { ...input, origin: originOf(ctx) });
      setDeviceCookie(ctx.res, {
        value: ctx.services.identity.deviceCookies.remember(
          ctx.credentials.deviceCookie ?? null,
          session.user.email,
        ),
        secure: ctx.services.env.COOKIE_SECURE,
      });
      return respondWithSession(ctx, session, input.refreshTokenIn);
    }),

  requestPasswordReset: publicProcedure
    .input(ZRequestPasswordResetInput)
    .mutation(({ ctx, input }) =>
      requestPasswordReset(ctx.services.identity, { ...input, origin: originOf(ctx) }),
    ),

  resetPassword: publicProcedure
    .input(ZResetPasswordInput)
    .mutation(({ ctx, input }) => resetPassword(ctx.services.identity, { ...input, origin: originOf(ctx) })),
});
