import type { RouteObject } from 'react-router';
import { GuestOnly, RequireSession } from '../../auth/guards.tsx';
import { AcceptInvitationPage } from './accept-invitation-page.tsx';
import { ChangePasswordPage } from './change-password-page.tsx';
import { ForgotPasswordPage } from './forgot-password-page.tsx';
import { ResetPasswordPage } from './reset-password-page.tsx';
import { SignInPage } from './sign-in-page.tsx';
import { SignUpPage } from './sign-up-page.tsx';
import { VerifyEmailPage } from './verify-email-page.tsx';

/**
 * The account pages (SPEC §1, §11). Sign-in and sign-up are for signed-out visitors only;
 * verification, password reset and accepting an invitation work either way (the links come from
 * emails; the invitation page itself asks a signed-in visitor to sign out first); the password
 * change needs a session — and is the one page a pending password change allows.
 */
export const authRoutes: RouteObject[] = [
  {
    element: <GuestOnly />,
    children: [
      { path: 'sign-in', element: <SignInPage /> },
      { path: 'sign-up', element: <SignUpPage /> },
    ],
  },
  { path: 'verify-email', element: <VerifyEmailPage /> },
  { path: 'forgot-password', element: <ForgotPasswordPage /> },
  { path: 'reset-password', element: <ResetPasswordPage /> },
  { path: 'accept-invitation', element: <AcceptInvitationPage /> },
  {
    element: <RequireSession allowPendingPasswordChange />,
    children: [{ path: 'change-password', element: <ChangePasswordPage /> }],
  },
];
