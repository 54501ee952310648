import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { rememberPendingEmail } from '../../auth/pending-email.ts';
import { useRetryCountdown } from '../../auth/retry-after.ts';
import { retryRestore, signedIn } from '../../auth/session-store.ts';
import { useSession } from '../../auth/use-session.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { describeError, fieldErrorsOf } from '../../lib/errors.ts';
import { type RouterInputs, trpc } from '../../lib/trpc.ts';
import { ReachabilityNotice } from '../status/reachability-notice.tsx';
import { AuthCard, Notice } from './auth-card.tsx';

type LoginInput = RouterInputs['auth']['login'];

/**
 * Sign-in (SPEC §1). 401 "Invalid credentials" and 429 (rate limit or lockout, with a live
 * Retry-After countdown) are shown as the API words them; an unverified address goes to verification.
 * Success needs no navigation here: the guest-only route sends a signed-in user on to `?next=`.
 */
export function SignInPage() {
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const session = useSession();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: (input: LoginInput) => trpc.auth.login.mutate(input),
    onSuccess: (response) => signedIn(response),
    onError: (error) => {
      if (describeError(error).code === 'EMAIL_NOT_VERIFIED') {
        rememberPendingEmail(email.trim());
        void navigate(`/verify-email?email=${encodeURIComponent(email.trim())}`, {
          state: { reason: 'not-verified' },
        });
      }
    },
  });
  const wait = useRetryCountdown(login.error);
  const restore = useMutation({ mutationFn: retryRestore });
  const fieldErrors = fieldErrorsOf(login.error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email: email.trim(), password });
  };

  const signUpHref = `/sign-up${location.search}`;
  return (
    <AuthCard title="Sign in" lead="Use the email address and password of your Atrium account.">
      <ReachabilityNotice />
      {params.get('verified') === '1' && (
        <Notice testId="signin-verified">Email address verified. Sign in to continue.</Notice>
      )}
      {params.get('reset') === '1' && <Notice>Password changed. Sign in with your new password.</Notice>}
      {session.endedReason && <Notice testId="signin-ended">{session.endedReason}</Notice>}
      {session.restoreError !== null && (
        <ErrorMessage
          error={session.restoreError}
          title="Could not restore your session"
          onRetry={() => restore.mutate()}
        />
      )}
      <Form
        error={login.error}
        className="form"
        onSubmit={onSubmit}
        aria-describedby={login.isError ? 'signin-error' : undefined}
        noValidate
      >
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          errors={fieldErrors.email}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          errors={fieldErrors.password}
        />
        {login.isError && describeError(login.error).code !== 'EMAIL_NOT_VERIFIED' && (
          <div id="signin-error">
            <ErrorMessage
              error={login.error}
              title="Could not sign you in"
              inlineFields={['email', 'password']}
            />
          </div>
        )}
        <div className="form__actions">
          <button type="submit" className="button" disabled={login.isPending || wait > 0}>
            {login.isPending ? 'Signing in…' : wait > 0 ? `Sign in (wait ${wait} s)` : 'Sign in'}
          </button>
          <Link to="/forgot-password">Forgot your password?</Link>
        </div>
      </Form>
      <p className="auth-card__footer">
        New here? <Link to={signUpHref}>Create an account</Link> · Waiting for a code?{' '}
        <Link to="/verify-email">Verify your email</Link>
      </p>
    </AuthCard>
  );
}
