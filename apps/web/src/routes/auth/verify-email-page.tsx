import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { forgetPendingEmail, pendingEmail, rememberPendingEmail } from '../../auth/pending-email.ts';
import { useRetryCountdown } from '../../auth/retry-after.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { type RouterInputs, trpc } from '../../lib/trpc.ts';
import { AuthCard, Notice } from './auth-card.tsx';

type VerifyInput = RouterInputs['auth']['verifyEmail'];

interface ArrivalState {
  reason?: 'registered' | 'not-verified';
  orgSlug?: string;
  role?: string;
}

/**
 * Email verification (SPEC §1): the 6-digit code from the email, and "send a new code", whose limit
 * (1 a minute, 5 an hour) answers 429 with Retry-After — shown as a countdown on the button.
 */
export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const arrival = (useLocation().state ?? {}) as ArrivalState;
  const [email, setEmail] = useState(() => params.get('email') ?? pendingEmail());
  const [code, setCode] = useState('');

  const verify = useMutation({
    mutationFn: (input: VerifyInput) => trpc.auth.verifyEmail.mutate(input),
    onSuccess: (_result, input) => {
      forgetPendingEmail();
      void navigate(`/sign-in?verified=1&email=${encodeURIComponent(input.email)}`);
    },
  });
  const resend = useMutation({
    mutationFn: (address: string) => trpc.auth.resendVerification.mutate({ email: address }),
  });
  const resendWait = useRetryCountdown(resend.error);
  const verifyErrors = fieldErrorsOf(verify.error);
  const resendErrors = fieldErrorsOf(resend.error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    rememberPendingEmail(email.trim());
    verify.mutate({ email: email.trim(), code: code.trim() });
  };

  return (
    <AuthCard
      title="Verify your email"
      lead="We emailed you a 6-digit code. It is valid for 15 minutes and can be tried 5 times."
    >
      {arrival.reason === 'registered' && (
        <Notice testId="verify-registered">
          Account created
          {arrival.orgSlug ? (
            <>
              {' '}
              in <strong>{arrival.orgSlug}</strong>
            </>
          ) : null}
          . Enter the code from the email to finish.
        </Notice>
      )}
      {arrival.reason === 'not-verified' && (
        <Notice>
          This email address is not verified yet. Enter the code we emailed you, or send a new one.
        </Notice>
      )}
      <Form error={verify.error} className="form" onSubmit={onSubmit} noValidate>
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          errors={verifyErrors.email ?? resendErrors.email}
        />
        <TextField
          label="Verification code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          required
          value={code}
          onChange={(event) => setCode(event.target.value)}
          errors={verifyErrors.code}
        />
        {verify.isError && (
          <ErrorMessage error={verify.error} title="Could not verify" inlineFields={['email', 'code']} />
        )}
        <div className="form__actions">
          <button type="submit" className="button" disabled={verify.isPending}>
            {verify.isPending ? 'Verifying…' : 'Verify'}
          </button>
          <button
            type="button"
            className="button button--quiet"
            disabled={resend.isPending || resendWait > 0 || email.trim() === ''}
            onClick={() => {
              rememberPendingEmail(email.trim());
              resend.mutate(email.trim());
            }}
          >
            {resend.isPending
              ? 'Sending…'
              : resendWait > 0
                ? `Send a new code (wait ${resendWait} s)`
                : 'Send a new code'}
          </button>
        </div>
        {resend.isSuccess && (
          <Notice testId="resend-accepted">
            If {resend.variables} has an account waiting for verification, a new code is on its way. Earlier
            codes no longer work.
          </Notice>
        )}
        {resend.isError && (
          <ErrorMessage error={resend.error} title="Could not send a new code" inlineFields={['email']} />
        )}
      </Form>
      <p className="auth-card__footer">
        Verified already? <Link to="/sign-in">Sign in</Link>
      </p>
    </AuthCard>
  );
}
